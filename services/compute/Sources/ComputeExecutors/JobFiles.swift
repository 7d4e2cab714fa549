import Foundation

/// JSON and atomic file writes for the job directory. Readers never see a half-written file:
/// Foundation's `.atomic` writes a temporary file and renames it over the target.
enum JobFiles {
    static func write(_ value: some Encodable, to url: URL) throws {
        let encoder = JSONEncoder()
        // Seconds since 1970 keep sub-second precision, which usage ratios depend on.
        encoder.dateEncodingStrategy = .secondsSince1970
        encoder.outputFormatting = [.sortedKeys]
        try encoder.encode(value).write(to: url, options: .atomic)
    }

    static func read<T: Decodable>(_ type: T.Type, from url: URL) throws -> T {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .secondsSince1970
        return try decoder.decode(type, from: Data(contentsOf: url))
    }

    static func write(_ text: String, to url: URL) throws {
        try Data(text.utf8).write(to: url, options: .atomic)
    }

    static func readText(_ url: URL) -> String? {
        (try? Data(contentsOf: url)).map { String(decoding: $0, as: UTF8.self) }
    }
}
