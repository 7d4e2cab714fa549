import Foundation
import Testing

/// The compose subsets run for real, on a machine with no registry: the images built from the
/// host's debug build on a debootstrapped Debian, nx-27017 and tansu for MongoDB and Kafka, a
/// dockerd of the test's own (docs/deploy.md, "Without a registry"). Each step prints its time.
///
/// Run alone and under the lock the compute tests' daemons take (`make test` does):
/// `flock /tmp/computetests.lock timeout -s KILL 900 .build/debug/MLExchangePackageTests.xctest
/// --testing-library swift-testing --filter ComposeRun`.
@Suite(.serialized) struct ComposeRunTests {
    static let computeSubset: Set<String> = ["mongodb", "kafka", "users", "data", "compute", "compute-agent", "web"]
    static let allSubset = computeSubset.union(["ingest", "mlhub", "tag"])
    /// Every published port of `all`: the gateway, compute and the services, the agent.
    static let readyPorts = [8000, 8080, 8081, 8082, 8083, 8084, 8085, 8090]

    @Test(
        "compute subset: a job's output and metric through the gateway, kept across a restart; then all answers /ready",
        .timeLimit(.minutes(12)))
    func computeThenAll() async throws {
        let deployment = try ComposeDeployment()
        defer { deployment.stopDaemon() }
        try await timed("dockerd, and the last run's containers, volumes and jobs removed") {
            try deployment.startClean()
        }
        try await timed("make compose_compute (base image, images from .build/debug, stand-ins, start)") {
            try deployment.make("compose_compute")
        }
        try await timed("every container of compute healthy") {
            try await deployment.waitHealthy(Self.computeSubset, within: .seconds(180))
        }

        var gateway = GatewayClient(host: ComposeDeployment.bind, port: 8000)
        let email = "compose-\(UUID().uuidString.prefix(8).lowercased())@example.com"
        let password = "a compose test's long password"
        let (projectID, runID, jobID) = try await timed("register, project, job submitted and succeeded") {
            try await gateway.logIn(email: email, password: password, register: true)
            let project = try await gateway.json("POST", "/api/data/v1/projects", ["name": "compose-run"])
            let projectID = try #require(project["id"] as? String)
            let job = try await gateway.json(
                "POST", "/api/compute/v1/jobs",
                [
                    "projectId": projectID, "image": "debian:bookworm-slim",
                    "command": [
                        "/bin/sh", "-c",
                        "echo '::mlex metric loss 0.25 1'; echo compose-output > /output/result.txt; echo written",
                    ],
                    "resources": ["cpus": 0.5, "memoryMB": 256, "diskMB": 64],
                ])
            let jobID = try #require(job["id"] as? String)
            let ended = try await waitForEnd(of: jobID, gateway: gateway)
            #expect(ended["state"] as? String == "succeeded", "\(ended)")
            return (projectID, try #require(ended["runId"] as? String), jobID)
        }
        try await timed("output downloaded, metric found in the run") {
            try await expectRunKept(projectID: projectID, runID: runID, jobID: jobID, gateway: gateway)
        }

        try await timed("make compose_down, make compose_compute again (no rebuild but the cache's)") {
            try deployment.make("compose_down")
            #expect(try deployment.containerStates().isEmpty)
            try deployment.make("compose_compute")
        }
        try await timed("every container of compute healthy again") {
            try await deployment.waitHealthy(Self.computeSubset, within: .seconds(180))
        }
        try await timed("after the restart: logged in again, project, run, metric and output still there") {
            try await gateway.logIn(email: email, password: password, register: false)
            try await expectRunKept(projectID: projectID, runID: runID, jobID: jobID, gateway: gateway)
        }

        try await timed("make compose_all") { try deployment.make("compose_all") }
        try await timed("every container of all healthy") {
            try await deployment.waitHealthy(Self.allSubset, within: .seconds(240))
        }
        try await timed("/ready on every published port") {
            for port in Self.readyPorts {
                let answer = try await GatewayClient(host: ComposeDeployment.bind, port: port).send("GET", "/ready")
                #expect(answer.status == 200, "port \(port) /ready: \(answer.status) \(answer.text.prefix(300))")
            }
        }
        try await timed("make compose_down") {
            try deployment.make("compose_down")
            #expect(try deployment.containerStates().isEmpty)
        }
    }

    /// Polls the job until it ends (at most a minute: it runs for well under a second).
    private func waitForEnd(of jobID: String, gateway: GatewayClient) async throws -> [String: Any] {
        let deadline = ContinuousClock.now.advanced(by: .seconds(60))
        var job: [String: Any] = [:]
        while ContinuousClock.now < deadline {
            job = try await gateway.json("GET", "/api/compute/v1/jobs/\(jobID)")
            if ["succeeded", "failed", "cancelled", "timed_out"].contains(job["state"] as? String ?? "") { return job }
            try await Task.sleep(for: .milliseconds(500))
        }
        throw ComposeDeployment.Failure("job \(jobID) did not end within a minute: \(job)")
    }

    /// The project, the job's output (listed and downloaded) and its metric on the run.
    private func expectRunKept(projectID: String, runID: String, jobID: String, gateway: GatewayClient) async throws {
        let project = try await gateway.json("GET", "/api/data/v1/projects/\(projectID)")
        #expect(project["name"] as? String == "compose-run")
        let outputs = try await gateway.json("GET", "/api/compute/v1/jobs/\(jobID)/outputs")
        let files = outputs["items"] as? [[String: Any]] ?? []
        let download = try #require(
            files.first { $0["path"] as? String == "outputs/result.txt" }?["downloadPath"] as? String, "\(outputs)")
        let file = try await gateway.send("GET", download)
        #expect(file.status == 200 && file.text == "compose-output\n", "\(file.status) \(file.text.prefix(200))")
        let run = try await gateway.json("GET", "/api/data/v1/runs/\(runID)")
        #expect((run["metrics"] as? [String: Any])?["loss"] as? Double == 0.25, "\(run)")
        #expect(run["status"] as? String == "finished", "\(run)")
    }
}
