import ComputeDocker
import Foundation
import Glibc
import Synchronization

/// A real `dockerd` (Debian's docker.io) for the Docker executor's tests, started once per test
/// process with its own data root, exec root, pid file and socket — nothing shared with a
/// Docker the machine may run — and stopped by pid at exit. No registry is reachable here, so
/// the jobs' image is `docker import`ed from a root filesystem built by ../docker/test-rootfs.sh.
public actor TestDockerDaemon {
    public static let shared = TestDockerDaemon()
    /// The image the tests' jobs run in: /bin/sh, coreutils and python3 from the host.
    public static let image = "mlex-test/py:1"

    /// Started once; a failure is kept too, so every docker test fails at once with its cause
    /// instead of each waiting for a daemon of its own.
    private var started: Result<DockerEngine, any Error>?

    public struct Unavailable: Error, CustomStringConvertible {
        public let description: String
    }

    public func engine() async throws -> DockerEngine {
        if let started { return try started.get() }
        let result: Result<DockerEngine, any Error>
        do {
            result = .success(try await start())
        } catch {
            result = .failure(error)
        }
        started = result
        return try result.get()
    }

    private func start() async throws -> DockerEngine {
        guard
            let dockerd = ["/usr/sbin/dockerd", "/usr/bin/dockerd"].first(where: {
                FileManager.default.isExecutableFile(atPath: $0)
            })
        else {
            throw Unavailable(description: "dockerd is not installed; `make deps` installs docker.io")
        }
        // Short: a unix socket path has at most 107 bytes.
        let directory = URL(fileURLWithPath: "/tmp").appendingPathComponent(
            "mlex-dockerd-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let socket = directory.appendingPathComponent("docker.sock").path
        let process = Process()
        process.executableURL = URL(fileURLWithPath: dockerd)
        process.arguments = [
            "--iptables=false", "--bridge=none", "--data-root", directory.appendingPathComponent("root").path,
            "--exec-root", directory.appendingPathComponent("exec").path, "--pidfile",
            directory.appendingPathComponent("dockerd.pid").path,
            "-H", "unix://\(socket)",
        ]
        var environment = ProcessInfo.processInfo.environment
        // containerd, runc and docker-init are found on PATH.
        environment["PATH"] = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
        process.environment = environment
        FileManager.default.createFile(atPath: directory.appendingPathComponent("dockerd.log").path, contents: nil)
        let log = try FileHandle(forWritingTo: directory.appendingPathComponent("dockerd.log"))
        process.standardOutput = log
        process.standardError = log
        try process.run()
        Self.stopAtExit(process.processIdentifier, directory: directory)

        let engine = DockerEngine(socketPath: socket)
        let deadline = ContinuousClock.now.advanced(by: .seconds(60))
        while true {
            do {
                _ = try await engine.ping()
                break
            } catch {
                guard ContinuousClock.now < deadline, process.isRunning else {
                    let tail =
                        (try? String(contentsOf: directory.appendingPathComponent("dockerd.log"), encoding: .utf8))?
                        .suffix(1_000) ?? ""
                    throw Unavailable(
                        description: "dockerd did not answer at \(socket) (\(error)); its log ends: \(tail)")
                }
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        try await importTestImage(into: engine, scratch: directory)
        return engine
    }

    private func importTestImage(into engine: DockerEngine, scratch: URL) async throws {
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("docker/test-rootfs.sh")
        let tar = scratch.appendingPathComponent("rootfs.tar")
        FileManager.default.createFile(atPath: tar.path, contents: nil)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = [script.path]
        process.standardOutput = try FileHandle(forWritingTo: tar)
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw Unavailable(description: "\(script.path) failed with \(process.terminationStatus)")
        }
        let (repository, tag) = (
            String(Self.image.split(separator: ":")[0]), String(Self.image.split(separator: ":")[1])
        )
        try await engine.importImage(tarFile: tar, repository: repository, tag: tag)
        try? FileManager.default.removeItem(at: tar)
    }

    /// SIGTERM (dockerd then stops its containers and unmounts), 15 s, SIGKILL; then the
    /// daemon's directory goes.
    private nonisolated static func stopAtExit(_ pid: pid_t, directory: URL) {
        daemons.withLock { $0.append((pid, directory.path)) }
        atexit {
            for (pid, path) in daemons.withLock({ $0 }) {
                kill(pid, SIGTERM)
                var waited = 0
                while kill(pid, 0) == 0, waited < 150 {
                    usleep(100_000)
                    waited += 1
                }
                if waited == 150 { kill(pid, SIGKILL) }
                try? FileManager.default.removeItem(atPath: path)
            }
        }
    }
}

private let daemons = Mutex<[(pid_t, String)]>([])
