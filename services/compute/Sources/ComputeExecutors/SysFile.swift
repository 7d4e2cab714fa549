import Foundation
import Glibc

/// Plain read(2)/write(2) on kernel pseudo-files. Foundation's helpers stat for a size or write
/// through a temporary file, neither of which works on cgroupfs or procfs.
package enum SysFile {
    /// The whole file, or nil when it cannot be opened (usually: the cgroup is gone).
    static func read(_ path: String) -> String? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { break }
            bytes.append(contentsOf: chunk[0..<count])
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// One write of `value`; cgroupfs acts on each write(2), so it must not be split.
    static func write(_ value: String, to path: String) throws {
        let fd = open(path, O_WRONLY | O_CLOEXEC)
        guard fd >= 0 else { throw ExecutorError(.cgroup, "open \(path): \(errnoText())") }
        defer { close(fd) }
        let bytes = Array(value.utf8)
        let written = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
        guard written == bytes.count else {
            throw ExecutorError(.cgroup, "write '\(value)' to \(path): \(errnoText())")
        }
    }

    static func readInt(_ path: String) -> Int? {
        read(path).flatMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
    }

    /// The number after `key` in "key value" files such as memory.oom_control or memory.events.
    static func field(_ key: String, in path: String) -> Int? {
        guard let text = read(path) else { return nil }
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: " ")
            if parts.count == 2, parts[0] == key { return Int(parts[1]) }
        }
        return nil
    }

    package static func errnoText(_ code: Int32 = errno) -> String {
        String(cString: strerror(code))
    }
}
