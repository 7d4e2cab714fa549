import Foundation
import Platform

/// The one range of a `Range: bytes=…` header (RFC 9110 §14.1.2) within a file of `size`
/// bytes: `bytes=a-b`, `bytes=a-` and the suffix form `bytes=-n`. Several ranges in one
/// request are not served (downloads resume with one); a range that is reversed, malformed or
/// starts at or past the end is a 416, as nginx answers. Every bound is compared before a
/// `Range` is built or one is added to it, so no header can trap the process.
enum ByteRange {
    static func parse(_ header: String?, size: Int64) throws -> Range<Int64>? {
        guard let header else { return nil }
        guard header.hasPrefix("bytes="), !header.contains(",") else {
            throw APIError(
                .rangeNotSatisfiable, code: "invalid_range",
                message: "one range of the form bytes=first-last is served", field: "Range")
        }
        let spec = header.dropFirst("bytes=".count)
        let parts = spec.split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false).map {
            $0.trimmingCharacters(in: .whitespaces)
        }
        guard parts.count == 2 else { throw unsatisfiable(size) }
        switch (position(parts[0]), position(parts[1])) {
        case (let first?, let last?) where first <= last && first < size:
            // `last` may be Int64.max: clamp before adding one.
            return first..<(min(last, size - 1) + 1)
        case (let first?, nil) where parts[1].isEmpty && first < size:
            return first..<size
        case (nil, let suffix?) where parts[0].isEmpty && suffix > 0 && size > 0:
            return (size - min(suffix, size))..<size
        default:
            throw unsatisfiable(size)
        }
    }

    /// A byte position: ASCII digits only (no sign, no space), and one that fits in an Int64.
    private static func position(_ text: String) -> Int64? {
        guard !text.isEmpty, text.utf8.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }) else {
            return nil
        }
        return Int64(text)
    }

    private static func unsatisfiable(_ size: Int64) -> APIError {
        APIError(
            .rangeNotSatisfiable, code: "range_not_satisfiable",
            message: "the file has \(size) bytes; ask for a range inside them", field: "Range")
    }
}
