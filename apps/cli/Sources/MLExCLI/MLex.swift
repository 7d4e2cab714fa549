import ArgumentParser

/// `mlex`: the platform from a terminal — accounts, the DDL workflow (submit a git project,
/// watch it, fetch what it made) and the tracking, dataset and token APIs.
public struct MLex: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "mlex",
        abstract: "The MLExchange command-line client.",
        discussion: """
            Log in once (mlex login), then submit a git project as a job
            (mlex submit), follow it (mlex progress, mlex logs -f) and fetch its
            outputs (mlex download). Serve a model as replicas behind one
            endpoint with mlex serve; mlex deployments lists, shows and stops
            them. mlex sessions open starts a shell in a job (a terminal
            session) and attaches to it; mlex sessions attach, ls and stop
            come back to it, list and end them.

            The server is http://localhost:8000 unless --url, MLEX_URL or the
            saved login says otherwise. MLEX_TOKEN (an API token from
            `mlex tokens create`) replaces the login for scripts and CI.

            Exit codes: 0 ok, 1 the job did not succeed, 64 usage, 65 input
            refused, 66 not found, 69 server unreachable, 70 server error,
            77 not logged in or not allowed.
            """,
        version: "0.1.0",
        subcommands: [
            Register.self, Login.self, Logout.self, Whoami.self,
            Submit.self, Progress.self, Logs.self, Download.self, Cancel.self, Jobs.self, Serve.self, Deployments.self,
            Sessions.self,
            Projects.self, Experiments.self, Runs.self, Datasets.self, Templates.self, Tokens.self,
            QuotaCommand.self, UsageCommand.self,
        ]
    )

    public init() {}
}
