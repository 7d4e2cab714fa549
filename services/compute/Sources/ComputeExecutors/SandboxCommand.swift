import Foundation

/// The bubblewrap command line for a job. Public so a benchmark can run the very same sandbox
/// without the supervisor, as a floor for the executor's overhead.
public enum SandboxCommand {
    /// Host directories shown read-only so ordinary programs run: the system, never state.
    /// On merged-/usr systems /bin, /lib… are symlinks and are recreated as symlinks.
    static let systemPaths = ["/usr", "/bin", "/lib", "/lib64", "/sbin", "/etc"]
    static let defaultPath = "/usr/local/bin:/usr/bin:/bin"

    /// argv starting with bwrap. The job runs in new pid, net, ipc, uts and cgroup namespaces,
    /// with a fresh /proc and /dev, `work` at /job (its cwd), `output` at /output and `tmp` at
    /// /tmp (all three on the job's disk), and as `uid`/`gid` with no capabilities.
    ///
    /// bwrap runs as root here (the supervisor must be root for cgroups), and as root `--uid`
    /// needs a user namespace, where 65534 inside would be root outside. So bwrap keeps only
    /// the capabilities setpriv needs and setpriv drops to the real uid/gid, clears groups,
    /// empties every capability set and sets no_new_privs before exec'ing the command.
    ///
    /// `workerVariables` (`WorkerEnvironment`) override the job's own environment. `network`
    /// says whether the sandbox gets a network namespace of its own or runs in its starter's.
    public static func arguments(
        job: SandboxJob, directories: JobDirectories, uid: UInt32, gid: UInt32,
        workerVariables: [String: String] = [:], network: SandboxNetwork = .own
    ) throws -> [String] {
        let tools = try SandboxTools.locate()
        var args = [tools.bwrap, "--unshare-pid"]
        if network == .own { args.append("--unshare-net") }
        args += ["--unshare-ipc", "--unshare-cgroup-try"]
        if network != .host { args += ["--unshare-uts", "--hostname", "mlex-job"] }
        args += [
            // bwrap follows its parent (the supervisor) so no job outlives its supervision;
            // the supervisor itself is detached from the agent.
            "--die-with-parent",
            // A new session: the job cannot reach a controlling terminal (TIOCSTI and friends).
            "--new-session",
            "--cap-drop", "ALL", "--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID", "--cap-add", "CAP_SETPCAP",
        ]
        for path in systemPaths {
            if let target = try? FileManager.default.destinationOfSymbolicLink(atPath: path) {
                args += ["--symlink", target, path]
            } else if FileManager.default.fileExists(atPath: path) {
                args += ["--ro-bind", path, path]
            }
        }
        args += ["--proc", "/proc", "--dev", "/dev"]
        // bwrap runs as root, so a tmpfs of its own would be root's 0755 and unwritable for
        // the job: /tmp is the job's tmp/ (sticky, everyone's), or a tmpfs made so.
        if let tmp = directories.tmp {
            args += ["--bind", tmp.path, "/tmp"]
        } else {
            args += ["--perms", "1777", "--tmpfs", "/tmp"]
        }
        args += [
            "--bind", directories.work.path, "/job",
            "--bind", directories.output.path, "/output",
        ]
        for input in job.inputs {
            args += ["--ro-bind", input.hostPath, input.sandboxPath]
        }
        args += ["--chdir", "/job", "--clearenv"]
        // PATH and HOME are defaults a job may override; MLEX_OUTPUT_DIR and the worker's
        // variables are the platform's.
        let environment = ["PATH": defaultPath, "HOME": "/job"]
            .merging(job.environment) { _, job in job }
            .merging(workerVariables) { _, platform in platform }
            .merging(["MLEX_OUTPUT_DIR": "/output"]) { _, platform in platform }
        for (key, value) in environment.sorted(by: { $0.key < $1.key }) {
            args += ["--setenv", key, value]
        }
        args += [
            "--", tools.setpriv,
            "--reuid", String(uid), "--regid", String(gid), "--clear-groups",
            "--inh-caps=-all", "--bounding-set=-all", "--no-new-privs",
            "--",
        ]
        return args + job.command
    }
}

/// The network namespace a sandbox runs in.
public enum SandboxNetwork: Sendable, Equatable {
    /// A new, empty one (bwrap brings its loopback up): nothing but the job itself to talk to.
    case own
    /// Whatever namespace its starter is in: the supervisor's private one shared by a local
    /// job's workers (`PrivateNetwork`).
    case inherited
    /// The host's network and its hostname, for Slurm workers on several nodes: gloo and NCCL
    /// advertise the address `gethostname()` resolves to, and from "mlex-job" gloo falls back
    /// to 127.0.0.1, which the other nodes cannot reach.
    case host
}

/// Absolute paths of the two programs the sandbox needs. Absolute because the supervisor runs
/// with whatever PATH the agent had, and setpriv must also exist inside the sandbox (under /usr).
struct SandboxTools {
    let bwrap: String
    let setpriv: String

    static let searchDirectories = ["/usr/bin", "/usr/local/bin", "/usr/sbin", "/bin"]

    static func locate() throws -> SandboxTools {
        func find(_ name: String) throws -> String {
            for directory in searchDirectories where access(directory + "/" + name, X_OK) == 0 {
                return directory + "/" + name
            }
            throw ExecutorError(
                .sandboxUnavailable, "\(name) not found in \(searchDirectories.joined(separator: ", "))")
        }
        return try SandboxTools(bwrap: find("bwrap"), setpriv: find("setpriv"))
    }
}
