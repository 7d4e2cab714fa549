import Foundation

/// Numbers as a trip through JSON text leaves them. Documents were coded through text before
/// the direct coders (`JSONValueEncoder`, `JSONValueDecoder`) and stored documents must keep
/// their shape, so these rules copy that trip rather than what would be most natural:
///
/// - JSONEncoder writes a Double by its shortest form less a trailing ".0", and the store's
///   parser reads digits that fit Int64 as an integer: a whole `1.0` is stored as `.int(1)`.
/// - The store writes a number as `jsonText` does and JSONDecoder reads an integer from any
///   number text that holds one exactly (`1.0`, `1e+16`); past 2^53 it re-reads the digits as
///   a Decimal, so `4.611686018427388e+18` is the integer 4611686018427388000, not 2^62.
/// - JSONValue's own `init(from:)` tries Int64 before Double, so a whole `.double` read as a
///   JSONValue comes back `.int` too.
enum TextNumbers {
    /// Whole Doubles below this print as "N.0" (Swift switches to exponents past 2^53).
    private static let plainWholeLimit = 1e15
    /// Below 2^53 JSONDecoder takes an integer straight from the Double it parsed.
    private static let exactIntegerLimit = 9_007_199_254_740_992.0

    // MARK: Encoding: what JSONEncoder's text parses back to

    /// A finite Double as JSONEncoder's text for it parses back.
    static func encoded(_ number: Double) throws -> JSONValue {
        if number.rounded() != number { return .double(number) }
        if abs(number) < plainWholeLimit { return .int(Int64(number)) }
        return try encoded(description: number.description)
    }

    /// A finite Float as JSONEncoder's text parses back: its own shortest digits read as a
    /// Double, so `Float(0.1)` is stored as `0.1`, not as `0.10000000149011612`.
    static func encoded(_ number: Float) throws -> JSONValue {
        try encoded(description: number.description)
    }

    /// Integers past Int64 are read back by the parser as the nearest Double.
    static func encoded<Integer: FixedWidthInteger>(_ number: Integer) -> JSONValue {
        if let integer = Int64(exactly: number) { return .int(integer) }
        return .double(Double(number.description) ?? Double(number))
    }

    /// `description` as JSONEncoder writes it (less ".0") read by the store's parser: the
    /// literal trip, taken only where the shortcuts above cannot tell the outcome.
    private static func encoded(description: String) throws -> JSONValue {
        var text = description
        if text.hasSuffix(".0") { text.removeLast(2) }
        return try JSONValue.parse(text)
    }

    // MARK: Decoding: what JSONDecoder reads from the store's text

    /// The text `jsonText` writes for a number (Swift's shortest form for every finite Double).
    static func text(of value: JSONValue) -> String? {
        switch value {
        case .int(let number): String(number)
        case .double(let number): number.description
        default: nil
        }
    }

    /// The number as an `Integer`, or nil when JSONDecoder would find it not representable.
    static func integer<Integer: FixedWidthInteger>(_ value: JSONValue, as type: Integer.Type) -> Integer? {
        switch value {
        case .int(let number):
            return Integer(exactly: number)
        case .double(let number):
            guard let integer = Integer(exactly: number) else { return nil }
            if number.magnitude < exactIntegerLimit { return integer }
            return Decimal(string: number.description).flatMap { convert(decimal: $0, to: Integer.self) }
        default:
            return nil
        }
    }

    /// A whole Decimal as JSONDecoder converts it: through a UInt64 magnitude, so nothing
    /// beyond UInt64's range (nor Int64.min) is read, whatever the type.
    private static func convert<Integer: FixedWidthInteger>(decimal: Decimal, to type: Integer.Type) -> Integer? {
        var digits = decimal.description
        let negative = digits.hasPrefix("-")
        if negative { digits.removeFirst() }
        guard !negative || Integer.isSigned, let magnitude = UInt64(digits), let sized = Integer(exactly: magnitude)
        else { return nil }
        return negative ? sized * -1 : sized
    }

    static func double(_ value: JSONValue) -> Double? {
        switch value {
        case .int(let number): Double(number)
        case .double(let number): number
        default: nil
        }
    }

    /// JSONDecoder parses a Float from the text itself and refuses what overflows, or what
    /// underflows to zero from a nonzero number.
    static func float(_ value: JSONValue) -> Float? {
        guard let text = text(of: value), let number = Float(text), number.isFinite else { return nil }
        if number == 0, double(value) != 0 { return nil }
        return number
    }

    static func decimal(_ value: JSONValue) -> Decimal? {
        text(of: value).flatMap { Decimal(string: $0) }
    }

    // MARK: JSONValue inside records

    /// A JSONValue member as the text path stored it; nil when it holds a non-finite double,
    /// which JSONEncoder refuses (the caller then encodes it the long way to get the error).
    static func encodedMember(_ value: JSONValue) -> JSONValue? {
        try? value.replacingDoubles { number in
            guard number.isFinite else { throw NonFinite() }
            return try encoded(number)
        }
    }

    /// A JSONValue member as the text path read it back: whole doubles become integers, and
    /// non-finite ones, which `jsonText` writes as null, null.
    static func decodedMember(_ value: JSONValue) -> JSONValue {
        value.replacingDoubles { number in
            guard number.isFinite else { return .null }
            return integer(.double(number), as: Int64.self).map(JSONValue.int) ?? .double(number)
        }
    }

    private struct NonFinite: Error {}
}
