import Foundation
import Synchronization

/// Entity ids (docs/design.md §4): UUIDv7 strings made by the service, lowercase, time-sortable, so
/// documents keep their identity and order on any backend.
public enum ID {
    /// A new UUIDv7 for now. Ids made by one process increase strictly, even within one
    /// millisecond (RFC 9562 §6.2, method 1: the 12 bits after the version count), so an
    /// outbox read in id order is the order its events were made.
    public static func make() -> String {
        let millis = UInt64(max(0, Date().timeIntervalSince1970 * 1000))
        let (stamp, counter) = clock.withLock { state -> (UInt64, UInt16) in
            if millis > state.millis {
                // A random start, top bit clear, leaves room to count within the millisecond.
                state = (millis, UInt16.random(in: 0...0x7FF))
            } else if state.counter < 0xFFF {
                state.counter += 1
            } else {
                state = (state.millis + 1, UInt16.random(in: 0...0x7FF))
            }
            return (state.millis, state.counter)
        }
        return format(millis: stamp, counter: counter)
    }

    /// A UUIDv7 for a given time (tests, imports of dated records): not ordered within a millisecond.
    public static func make(now: Date) -> String {
        format(millis: UInt64(max(0, now.timeIntervalSince1970 * 1000)), counter: UInt16.random(in: 0...0xFFF))
    }

    private static let clock = Mutex<(millis: UInt64, counter: UInt16)>((0, 0))

    /// 48 bits of Unix milliseconds, version 7, the 12-bit counter, variant 10, 62 random bits.
    private static func format(millis: UInt64, counter: UInt16) -> String {
        var bytes = [UInt8](repeating: 0, count: 16)
        var generator = SystemRandomNumberGenerator()
        for index in 8..<16 { bytes[index] = generator.next() }
        for index in 0..<6 { bytes[index] = UInt8(truncatingIfNeeded: millis >> (8 * (5 - UInt64(index)))) }
        bytes[6] = 0x70 | UInt8(counter >> 8)
        bytes[7] = UInt8(truncatingIfNeeded: counter)
        bytes[8] = (bytes[8] & 0x3F) | 0x80
        let hex = bytes.map { String(format: "%02x", $0) }.joined()
        let parts = [
            hex.prefix(8), hex.dropFirst(8).prefix(4), hex.dropFirst(12).prefix(4),
            hex.dropFirst(16).prefix(4), hex.dropFirst(20),
        ]
        return parts.joined(separator: "-")
    }

    /// When a UUIDv7 was made (its first 48 bits); nil for other texts.
    public static func time(of id: String) -> Date? {
        guard isValid(id), id[id.index(id.startIndex, offsetBy: 14)] == "7" else { return nil }
        let hex = id.replacingOccurrences(of: "-", with: "").prefix(12)
        return UInt64(hex, radix: 16).map { Date(timeIntervalSince1970: Double($0) / 1000) }
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
