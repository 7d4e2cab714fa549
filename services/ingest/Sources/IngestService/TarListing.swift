/// One member as `tar -tv --numeric-owner --quoting-style=c` (GNU tar, `LC_ALL=C`) lists it:
///
///     -rw-r--r-- 1000/1000      4096 2024-05-01 12:00 "./weights.bin"
///     hrw-r--r-- 1000/1000         0 2024-05-01 12:00 "./copy" link to "./weights.bin"
///     lrwxrwxrwx 1000/1000         0 2024-05-01 12:00 "./escape" -> "/etc"
///
/// C quoting puts every name in double quotes with `\n`, `\"`, `\\` and octal escapes (every
/// non-ASCII byte, under `LC_ALL=C`), so spaces, quotes or newlines in a name can neither split a
/// line nor fake one. The columns before the first quote are mode, owner and size, then the
/// date, whose shape we do not rely on. Any line that does not parse is nil, never a crash.
struct TarListingLine: Equatable {
    enum Kind: Equatable {
        case file, directory, fifo, characterDevice, blockDevice
        case hardLink(to: String)
        case symbolicLink(to: String)
        /// Any other type tar shows (`V` volume header, `M` continuation, `C` contiguous, `?`…).
        case other(String)
    }

    let kind: Kind
    /// The name exactly as stored, decoded (invalid UTF-8 shown as U+FFFD).
    let name: String
    /// The size column; nil when it is not a byte count that fits (devices show `major,minor`).
    let size: Int64?
    let isAbsolute: Bool
    let climbsOut: Bool
    /// The path inside the package: `.` and empty components dropped (`./a//b` → `a/b`).
    let path: String

    init?(_ line: some Collection<UInt8>) {
        let bytes = Array(line)
        guard let quote = bytes.firstIndex(of: UInt8(ascii: "\"")) else { return nil }
        let columns = String(decoding: bytes[..<quote], as: UTF8.self).split(
            separator: " ", omittingEmptySubsequences: true)
        guard columns.count >= 3, let type = columns[0].first, columns[0].count >= 10 else { return nil }
        guard let (name, end) = Self.unquote(bytes, from: quote) else { return nil }
        let target = bytes[end...].firstIndex(of: UInt8(ascii: "\"")).flatMap { Self.unquote(bytes, from: $0) }.map {
            String(decoding: $0.text, as: UTF8.self)
        }

        switch type {
        case "-": kind = .file
        case "d": kind = .directory
        case "p": kind = .fifo
        case "c": kind = .characterDevice
        case "b": kind = .blockDevice
        case "h": kind = .hardLink(to: target ?? "?")
        case "l": kind = .symbolicLink(to: target ?? "?")
        default: kind = .other(String(type))
        }
        self.name = String(decoding: name, as: UTF8.self)
        size = Int64(columns[2])
        let components = name.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: true)
        isAbsolute = name.first == UInt8(ascii: "/")
        climbsOut = components.contains { $0.elementsEqual("..".utf8) }
        path = components.filter { !$0.elementsEqual(".".utf8) }.map { String(decoding: $0, as: UTF8.self) }.joined(
            separator: "/")
    }

    /// Why this member may not be unpacked, or nil when it is a regular file or directory
    /// inside the package.
    var refusal: String? {
        if isAbsolute { return "is an absolute path; every path in a package is relative to its root" }
        if climbsOut { return "has a `..` component; a package may not reach outside its own directory" }
        let only = "only regular files and directories may be in a package"
        switch kind {
        case .file, .directory: return nil
        case .hardLink(let target): return "is a hard link (to \(target)); \(only)"
        case .symbolicLink(let target): return "is a symbolic link (to \(target)); \(only)"
        case .fifo: return "is a fifo (named pipe); \(only)"
        case .characterDevice: return "is a character device; \(only)"
        case .blockDevice: return "is a block device; \(only)"
        case .other(let type): return "is a tar member of type \(type); \(only)"
        }
    }

    /// How the reasons name the member: its path in the package, or the name as stored when
    /// that is what is wrong with it.
    var shownName: String { isAbsolute || climbsOut || path.isEmpty ? name : path }

    /// The C-quoted string starting at `bytes[start]` (a `"`): its bytes and the index after it.
    /// Adjacent quoted strings (`"a""b"`, how gnulib splits trigraphs) are one.
    static func unquote(_ bytes: [UInt8], from start: Int) -> (text: [UInt8], end: Int)? {
        guard start < bytes.count, bytes[start] == UInt8(ascii: "\"") else { return nil }
        var text: [UInt8] = []
        var index = start + 1
        while index < bytes.count {
            let byte = bytes[index]
            index += 1
            if byte == UInt8(ascii: "\"") {
                if index < bytes.count, bytes[index] == UInt8(ascii: "\"") {
                    index += 1
                    continue
                }
                return (text, index)
            }
            guard byte == UInt8(ascii: "\\") else {
                text.append(byte)
                continue
            }
            guard index < bytes.count else { return nil }
            let escaped = bytes[index]
            index += 1
            switch escaped {
            case UInt8(ascii: "n"): text.append(0x0A)
            case UInt8(ascii: "t"): text.append(0x09)
            case UInt8(ascii: "r"): text.append(0x0D)
            case UInt8(ascii: "a"): text.append(0x07)
            case UInt8(ascii: "b"): text.append(0x08)
            case UInt8(ascii: "f"): text.append(0x0C)
            case UInt8(ascii: "v"): text.append(0x0B)
            case UInt8(ascii: "0")...UInt8(ascii: "7"):
                var value = Int(escaped - UInt8(ascii: "0"))
                var digits = 1
                while digits < 3, index < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "7")).contains(bytes[index]) {
                    value = value * 8 + Int(bytes[index] - UInt8(ascii: "0"))
                    index += 1
                    digits += 1
                }
                guard let decoded = UInt8(exactly: value) else { return nil }
                text.append(decoded)
            default: text.append(escaped)  // \\, \", \?, and anything tar may add later: the character itself
            }
        }
        return nil
    }
}
