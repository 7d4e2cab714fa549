import ComputeExecutors
import Foundation
import Glibc

/// Runs Slurm's client commands (`sbatch`, `scontrol`, `scancel`, `sinfo`, `sstat`) and returns
/// what they print. The commands, not slurmrestd: every Slurm installation has them, they speak
/// to slurmctld with the cluster's own authentication (munge), and their `--parsable`/`-o`
/// output is stable, whereas slurmrestd is an extra daemon with JWT setup and an OpenAPI
/// version per Slurm release.
public struct SlurmCommands: Sendable {
    /// Where the commands are; empty: found on PATH.
    public var binDirectory: String
    /// Added to the commands' environment, e.g. `SLURM_CONF` for a cluster configured elsewhere.
    public var environment: [String: String]

    public init(binDirectory: String = "", environment: [String: String] = [:]) {
        self.binDirectory = binDirectory
        self.environment = environment
    }

    public struct Failure: Error, CustomStringConvertible {
        public let command: String
        public let status: Int32
        public let output: String
        public var description: String { "\(command) exited with \(status): \(output)" }
    }

    /// Runs `tool` with `arguments` and waits for it; stdout on success, `Failure` (with
    /// stderr) otherwise. posix_spawn and waitpid, not Foundation's Process, whose
    /// `waitUntilExit` can wait forever for a child nobody reaps; output goes through files, so
    /// no pipe can fill and block the command.
    public func run(_ tool: String, _ arguments: [String]) throws -> String {
        let program = binDirectory.isEmpty ? tool : URL(fileURLWithPath: binDirectory).appendingPathComponent(tool).path
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent(
            "mlex-slurm-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let outputPath = scratch.appendingPathComponent("out").path
        let errorPath = scratch.appendingPathComponent("err").path
        let environment = ProcessInfo.processInfo.environment.merging(self.environment) { _, given in given }
        let pid = try ProcessSpawner.spawn(
            [program] + arguments, environment: environment.map { "\($0.key)=\($0.value)" }, outputPath: outputPath,
            errorPath: errorPath, newSession: false)
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 {
            guard errno == EINTR else {
                throw ExecutorError(.io, "waitpid \(tool): \(String(cString: strerror(errno)))")
            }
        }
        let output = (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
        // Exited normally with 0 (WIFEXITED and WEXITSTATUS, which Swift cannot import).
        guard status & 0x7f == 0, (status >> 8) & 0xff == 0 else {
            let errors = (try? String(contentsOfFile: errorPath, encoding: .utf8)) ?? ""
            throw Failure(
                command: ([tool] + arguments).joined(separator: " "),
                status: status & 0x7f == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f),
                output: (errors + output).trimmingCharacters(in: .whitespacesAndNewlines))
        }
        return output
    }
}
