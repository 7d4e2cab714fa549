/// How deeply a JSON text nests arrays and objects, found by one pass over its bytes.
///
/// Services keep what users send inside their own documents (a run's snapshot inside an event
/// inside the outbox), a few levels deeper than it arrived; a body nested just under the parser's
/// limit would be stored but could never be read back, and a stuck outbox row stops every event
/// after it. Bodies are therefore held to a depth well under every parser's and MongoDB's (100).
public enum JSONNesting {
    public static let limit = 64

    /// True once the text opens more than `limit` arrays or objects at once. Brackets inside
    /// strings do not count; malformed text is left to the parser to reject. Inlinable: called
    /// from Platform on a `ByteBufferView`, and unspecialized across modules the per-byte
    /// iteration costs as much as parsing the body.
    @inlinable
    public static func exceeds(_ bytes: some Sequence<UInt8>, limit: Int = limit) -> Bool {
        var depth = 0
        var inString = false
        var escaped = false
        for byte in bytes {
            if inString {
                if escaped {
                    escaped = false
                } else if byte == UInt8(ascii: "\\") {
                    escaped = true
                } else if byte == UInt8(ascii: "\"") {
                    inString = false
                }
                continue
            }
            switch byte {
            case UInt8(ascii: "\""): inString = true
            case UInt8(ascii: "["), UInt8(ascii: "{"):
                depth += 1
                if depth > limit { return true }
            case UInt8(ascii: "]"), UInt8(ascii: "}"): depth -= 1
            default: break
            }
        }
        return false
    }
}
