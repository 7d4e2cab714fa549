import Foundation

/// Entity ids (DESIGN.md §4): UUIDv7 strings made by the service, lowercase, time-sortable, so
/// documents keep their identity and order on any backend.
public enum ID {
    /// A new UUIDv7: 48 bits of Unix milliseconds, version and variant bits, 74 random bits.
    public static func make(now: Date = Date()) -> String {
        var bytes = [UInt8](repeating: 0, count: 16)
        var generator = SystemRandomNumberGenerator()
        for index in 6..<16 { bytes[index] = generator.next() }
        let millis = UInt64(max(0, now.timeIntervalSince1970 * 1000))
        for index in 0..<6 { bytes[index] = UInt8(truncatingIfNeeded: millis >> (8 * (5 - UInt64(index)))) }
        bytes[6] = (bytes[6] & 0x0F) | 0x70
        bytes[8] = (bytes[8] & 0x3F) | 0x80
        let hex = bytes.map { String(format: "%02x", $0) }.joined()
        let parts = [hex.prefix(8), hex.dropFirst(8).prefix(4), hex.dropFirst(12).prefix(4),
                     hex.dropFirst(16).prefix(4), hex.dropFirst(20)]
        return parts.joined(separator: "-")
    }

    /// Whether `text` is a canonical lowercase UUID (any version): what a path or body id must be.
    public static func isValid(_ text: some StringProtocol) -> Bool {
        guard text.utf8.count == 36 else { return false }
        for (offset, byte) in text.utf8.enumerated() {
            switch offset {
            case 8, 13, 18, 23:
                if byte != UInt8(ascii: "-") { return false }
            default:
                let isDigit = byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
                let isLowerHex = byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "f")
                if !(isDigit || isLowerHex) { return false }
            }
        }
        return true
    }
}
