import Wire

/// terminado's messages, as a terminal session's shell server speaks them (docs/endpoints.md):
/// JSON arrays in text frames, their first element naming the message.
enum TerminalMessage: Equatable, Sendable {
    /// Client → server: what was typed.
    case stdin(String)
    /// Client → server: the window's size.
    case setSize(rows: Int, columns: Int)
    /// Server → client: the session is ready.
    case setup
    /// Server → client: the shell's output (recent output is replayed on connect).
    case stdout(String)
    /// Server → client: the shell exited; the socket closes next.
    case disconnect
    /// A message this client has no use for.
    case other(String)

    /// The message's frame text.
    var text: String {
        let parts: [JSONValue] =
            switch self {
            case .stdin(let text): ["stdin", .string(text)]
            case .setSize(let rows, let columns): ["set_size", .int(Int64(rows)), .int(Int64(columns))]
            case .setup: ["setup", [:]]
            case .stdout(let text): ["stdout", .string(text)]
            case .disconnect: ["disconnect", 1]
            case .other(let name): [.string(name)]
            }
        return JSONValue.array(parts).jsonText
    }

    /// A frame's text as a message; nil when it is not one of terminado's.
    init?(text: String) {
        guard let parts = (try? JSONValue.parse(text))?.arrayValue, let name = parts.first?.stringValue else {
            return nil
        }
        let argument: JSONValue? = parts.count > 1 ? parts[1] : Optional.none
        switch (name, argument) {
        case ("stdout", .string(let output)?): self = .stdout(output)
        case ("stdin", .string(let input)?): self = .stdin(input)
        case ("setup", _): self = .setup
        case ("disconnect", _): self = .disconnect
        case ("set_size", _) where parts.count == 3:
            guard let rows = parts[1].intValue, let columns = parts[2].intValue else { return nil }
            self = .setSize(rows: Int(rows), columns: Int(columns))
        default: self = .other(name)
        }
    }
}

/// Bytes read from a terminal or a pipe as UTF-8 text for `stdin` messages: a multibyte
/// character cut between two reads waits for its last bytes instead of becoming U+FFFD, and
/// bytes that are not UTF-8 at all become U+FFFD (a message is JSON text).
struct UTF8Chunker {
    private var pending: [UInt8] = []

    /// The text of `bytes` after what was held back, but an incomplete character at the end.
    mutating func text(_ bytes: some Sequence<UInt8>) -> String {
        pending += bytes
        let complete = pending.count - Self.incompleteTail(pending)
        let text = String(decoding: pending[..<complete], as: UTF8.self)
        pending.removeFirst(complete)
        return text
    }

    /// What is held back, at the end of input: invalid on its own, so U+FFFD.
    mutating func flush() -> String {
        defer { pending = [] }
        return String(decoding: pending, as: UTF8.self)
    }

    /// How many bytes at the end of `bytes` start a character that needs more bytes.
    static func incompleteTail(_ bytes: [UInt8]) -> Int {
        guard !bytes.isEmpty else { return 0 }
        // A character is at most 4 bytes: look back at most 3 for its lead byte.
        for back in 1...min(3, bytes.count) {
            let byte = bytes[bytes.count - back]
            if byte & 0xC0 == 0x80 { continue }  // a continuation byte: the lead is further back
            let length =
                switch byte {
                case 0xC0...0xDF: 2
                case 0xE0...0xEF: 3
                case 0xF0...0xF7: 4
                default: 1
                }
            return length > back ? back : 0
        }
        return 0
    }
}

/// The detach keys of an attached terminal, as `telnet` has them: Ctrl-] then `q` detaches;
/// Ctrl-] twice sends one Ctrl-]; Ctrl-] then any other key sends both.
struct DetachKeys {
    static let escape: UInt8 = 0x1D
    private var escaped = false

    /// What to send of `bytes`, and whether they asked to detach (what follows is dropped).
    mutating func filter(_ bytes: [UInt8]) -> (send: [UInt8], detach: Bool) {
        var send: [UInt8] = []
        for byte in bytes {
            if escaped {
                escaped = false
                switch byte {
                case UInt8(ascii: "q"), UInt8(ascii: "Q"): return (send, true)
                case Self.escape: send.append(byte)
                default: send += [Self.escape, byte]
                }
            } else if byte == Self.escape {
                escaped = true
            } else {
                send.append(byte)
            }
        }
        return (send, false)
    }
}
