import Foundation

/// RFC 3339 UTC times with milliseconds, the one time format on the wire (docs/design.md §4), e.g.
/// `2026-11-23T16:45:19.363Z`.
///
/// A Date is a binary double: formatting a parsed `.363` through a formatter that truncates can
/// give `.362`. Here the instant is rounded to a whole millisecond first, so
/// `format(parse(format(d))!) == format(d)` always holds and events compare equal after a trip
/// through the store or the bus.
public enum Timestamp {
    public static var now: String { format(Date()) }

    /// What RFC 3339's four-digit years can write: 0000-01-01 to 9999-12-31, in epoch milliseconds.
    public static let representable: ClosedRange<Int64> = -62_167_219_200_000...253_402_300_799_999

    /// Times outside `representable` (which only odd input makes) are written as its nearest
    /// end rather than trapping in the conversion to an integer.
    public static func format(_ date: Date) -> String {
        let raw = (date.timeIntervalSince1970 * 1000).rounded()
        let milliseconds =
            raw.isNaN ? 0 : Int64(min(max(raw, Double(representable.lowerBound)), Double(representable.upperBound)))
        var seconds = time_t(milliseconds.quotient(dividingBy: 1000))
        var parts = tm()
        gmtime_r(&seconds, &parts)
        return String(
            format: "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
            Int(parts.tm_year) + 1900, Int(parts.tm_mon) + 1, Int(parts.tm_mday),
            Int(parts.tm_hour), Int(parts.tm_min), Int(parts.tm_sec), Int(milliseconds.floorRemainder(dividingBy: 1000))
        )
    }

    /// Any RFC 3339 time, with or without a fraction or with an offset; nil if it is not one
    /// or lies outside `representable`.
    public static func parse(_ text: String) -> Date? {
        guard
            let date = (try? Date.ISO8601FormatStyle(includingFractionalSeconds: true).parse(text))
                ?? (try? Date.ISO8601FormatStyle().parse(text))
        else { return nil }
        let milliseconds = (date.timeIntervalSince1970 * 1000).rounded()
        guard milliseconds >= Double(representable.lowerBound), milliseconds <= Double(representable.upperBound) else {
            return nil
        }
        return Date(timeIntervalSince1970: milliseconds / 1000)
    }
}

extension Int64 {
    /// Floor division, so instants before 1970 still format their milliseconds correctly.
    fileprivate func quotient(dividingBy divisor: Int64) -> Int64 {
        let (quotient, remainder) = quotientAndRemainder(dividingBy: divisor)
        return remainder < 0 ? quotient - 1 : quotient
    }

    fileprivate func floorRemainder(dividingBy divisor: Int64) -> Int64 {
        let remainder = self % divisor
        return remainder < 0 ? remainder + divisor : remainder
    }
}
