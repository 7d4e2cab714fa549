import Foundation
import Glibc

extension ProcessSpawner {
    /// How a command run to its end went.
    public struct Completion: Sendable {
        /// The exit status, or 128 + the signal that killed it.
        public let status: Int32
        public let output: String
        public let errors: String
    }

    /// Runs `argv` and waits for it, its stdout and stderr through files of a scratch directory.
    /// posix_spawn and waitpid, not Foundation's Process with a Pipe: a daemon another thread
    /// starts at the same moment can inherit the pipe's write end and keep a read to end of
    /// file waiting forever, and no pipe can fill and block the command.
    public static func run(_ argv: [String], environment: [String]) throws -> Completion {
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent(
            "mlex-command-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let outputPath = scratch.appendingPathComponent("out").path
        let errorPath = scratch.appendingPathComponent("err").path
        let pid = try spawn(
            argv, environment: environment, outputPath: outputPath, errorPath: errorPath, newSession: false)
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 {
            guard errno == EINTR else {
                throw ExecutorError(.io, "waitpid \(argv[0]): \(String(cString: strerror(errno)))")
            }
        }
        // WIFEXITED/WEXITSTATUS/WTERMSIG, which Swift cannot import.
        let signal = status & 0x7f
        return Completion(
            status: signal == 0 ? (status >> 8) & 0xff : 128 + signal,
            output: (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? "",
            errors: (try? String(contentsOfFile: errorPath, encoding: .utf8)) ?? "")
    }
}
