import Foundation
import Platform

/// The one range of a `Range: bytes=…` header (RFC 9110 §14.1.2) within a file of `size`
/// bytes: `bytes=a-b`, `bytes=a-` and the suffix form `bytes=-n`. Several ranges in one
/// request are not served (downloads resume with one); a range past the end is a 416.
enum ByteRange {
    static func parse(_ header: String?, size: Int64) throws -> Range<Int64>? {
        guard let header else { return nil }
        guard header.hasPrefix("bytes="), !header.contains(",") else {
            throw APIError(.rangeNotSatisfiable, code: "invalid_range", message: "one range of the form bytes=first-last is served", field: "Range")
        }
        let spec = header.dropFirst("bytes=".count)
        let parts = spec.split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
        guard parts.count == 2 else { throw unsatisfiable(size) }
        let range: Range<Int64>
        switch (Int64(parts[0]), Int64(parts[1])) {
        case (let first?, let last?) where first <= last:
            range = first..<min(last + 1, size)
        case (let first?, nil) where parts[1].isEmpty:
            range = first..<size
        case (nil, let suffix?) where parts[0].isEmpty && suffix > 0:
            range = max(0, size - suffix)..<size
        default:
            throw unsatisfiable(size)
        }
        guard range.lowerBound < size, !range.isEmpty else { throw unsatisfiable(size) }
        return range
    }

    private static func unsatisfiable(_ size: Int64) -> APIError {
        APIError(.rangeNotSatisfiable, code: "range_not_satisfiable", message: "the file has \(size) bytes; ask for a range inside them", field: "Range")
    }
}
