import Foundation
import Platform

/// A file's path inside its owner (a run's artifacts, a project's files), normalised before
/// anything is stored: `a//b/./c` is `a/b/c`; `..`, absolute paths, NUL and other control
/// characters, empty paths and over-long names are refused (400 naming `field`), so a path can
/// never point outside its owner whatever a client sends.
enum FilePath {
    static let maxSegmentBytes = 255
    static let maxPathBytes = 1024

    /// From the segments of a URL (still percent-encoded).
    static func normalise(segments: [Substring], field: String = "path") throws -> String {
        let decoded = try segments.map { segment -> String in
            guard let text = segment.removingPercentEncoding else {
                throw APIError.invalidField(field, "the path is not valid percent-encoding")
            }
            return text
        }
        return try normalise(decoded.joined(separator: "/"), field: field)
    }

    static func normalise(_ text: String, field: String = "path") throws -> String {
        guard !text.hasPrefix("/") else {
            throw APIError.invalidField(field, "absolute paths are refused; give a path relative to the owner")
        }
        var kept: [Substring] = []
        for segment in text.split(separator: "/", omittingEmptySubsequences: true) where segment != "." {
            guard segment != ".." else { throw APIError.invalidField(field, "'..' is refused in paths") }
            guard !segment.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) else {
                throw APIError.invalidField(field, "paths hold no NUL or other control characters")
            }
            guard segment.utf8.count <= maxSegmentBytes else {
                throw APIError.invalidField(field, "a path segment has at most \(maxSegmentBytes) bytes")
            }
            kept.append(segment)
        }
        let path = kept.joined(separator: "/")
        guard !path.isEmpty else { throw APIError.invalidField(field, "the path is empty") }
        guard path.utf8.count <= maxPathBytes else {
            throw APIError.invalidField(field, "a path has at most \(maxPathBytes) bytes")
        }
        return path
    }
}
