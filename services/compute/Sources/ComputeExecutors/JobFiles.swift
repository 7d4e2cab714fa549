import Foundation
import Glibc

/// JSON and atomic file writes for the job directory. Readers never see a half-written file:
/// Foundation's `.atomic` writes a temporary file and renames it over the target.
package enum JobFiles {
    package static func write(_ value: some Encodable, to url: URL) throws {
        let encoder = JSONEncoder()
        // Seconds since 1970 keep sub-second precision, which usage ratios depend on.
        encoder.dateEncodingStrategy = .secondsSince1970
        encoder.outputFormatting = [.sortedKeys]
        try encoder.encode(value).write(to: url, options: .atomic)
    }

    package static func read<T: Decodable>(_ type: T.Type, from url: URL) throws -> T {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .secondsSince1970
        return try decoder.decode(type, from: Data(contentsOf: url))
    }

    package static func write(_ text: String, to url: URL) throws {
        try Data(text.utf8).write(to: url, options: .atomic)
    }

    package static func readText(_ url: URL) -> String? {
        (try? Data(contentsOf: url)).map { String(decoding: $0, as: UTF8.self) }
    }

    /// Up to `limit` bytes of a job's log from `offset`; none yet when the log does not exist.
    package static func readLog(_ url: URL, from offset: UInt64, limit: Int) throws -> (bytes: [UInt8], next: UInt64) {
        let fd = open(url.path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            if errno == ENOENT { return ([], offset) }
            throw ExecutorError(.io, "open \(url.path): \(SysFile.errnoText())")
        }
        defer { close(fd) }
        var bytes = [UInt8](repeating: 0, count: max(0, limit))
        var count = 0
        while count < bytes.count {
            let got = bytes.withUnsafeMutableBytes {
                pread(fd, $0.baseAddress! + count, $0.count - count, off_t(offset) + off_t(count))
            }
            if got < 0 && errno == EINTR { continue }
            guard got > 0 else { break }
            count += got
        }
        return (Array(bytes.prefix(count)), offset + UInt64(count))
    }
}
