import Foundation
import Glibc
import Wire

/// What commands print: results on stdout (tables, or JSON with `--json`), messages and
/// progress on stderr, so `mlex … --json | jq` sees only data.
enum Console {
    static func line(_ text: String = "") {
        write(text + "\n", to: STDOUT_FILENO)
    }

    static func note(_ text: String) {
        write(text + "\n", to: STDERR_FILENO)
    }

    /// Writes all of `text`. A reader that went away (`mlex logs | head`) ends mlex as it ends
    /// any Unix tool, by SIGPIPE, which the networking library had set to be ignored.
    static func write(_ text: String, to descriptor: Int32) {
        var bytes = Array(text.utf8)[...]
        while !bytes.isEmpty {
            let written = bytes.withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress, $0.count) }
            if written < 0 {
                if errno == EINTR { continue }
                if errno == EPIPE {
                    signal(SIGPIPE, SIG_DFL)
                    raise(SIGPIPE)
                }
                return
            }
            bytes = bytes.dropFirst(written)
        }
    }

    static func error(_ text: String) {
        note("mlex: " + text)
    }

    static var stderrIsTerminal: Bool { isatty(STDERR_FILENO) == 1 }
    static var stdinIsTerminal: Bool { isatty(STDIN_FILENO) == 1 }

    /// The value as indented JSON with sorted keys (stable for scripts and diffs).
    static func json(_ value: JSONValue) {
        let data = Data(value.jsonText.utf8)
        if let object = try? JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed]),
            let pretty = try? JSONSerialization.data(
                withJSONObject: object,
                options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes, .fragmentsAllowed])
        {
            line(String(decoding: pretty, as: UTF8.self))
        } else {
            line(value.jsonText)
        }
    }

    /// Rows under a header, columns padded to their widest cell.
    static func table(_ header: [String], _ rows: [[String]]) {
        let widths = header.indices.map { column in
            ([header] + rows).map { $0.indices.contains(column) ? $0[column].count : 0 }.max() ?? 0
        }
        for row in [header] + rows {
            let cells = row.enumerated().map { index, cell in
                index == row.count - 1 ? cell : cell.padding(toLength: widths[index], withPad: " ", startingAt: 0)
            }
            line(cells.joined(separator: "  "))
        }
    }

    /// Key/value lines, keys aligned.
    static func fields(_ pairs: [(String, String)]) {
        let width = pairs.map(\.0.count).max() ?? 0
        for (key, value) in pairs { line("\(key.padding(toLength: width, withPad: " ", startingAt: 0))  \(value)") }
    }

    /// A cell for a run's metric: data answers a NaN the run logged as null, so null is `NaN`
    /// here and only a metric never logged is `-`.
    static func metric(_ value: JSONValue?) -> String {
        value == .null ? "NaN" : cell(value)
    }

    /// A cell for a JSON value: strings as they are, numbers compactly, `-` for nothing.
    static func cell(_ value: JSONValue?) -> String {
        switch value {
        case nil, .null?: "-"
        case .string(let text)?: text
        case .int(let number)?: String(number)
        case .double(let number)?:
            number == number.rounded() && abs(number) < 1e15 ? String(Int64(number)) : String(format: "%.6g", number)
        case .bool(let flag)?: String(flag)
        case let other?: other.jsonText
        }
    }

    /// 1536 → "1.5 KiB".
    static func bytes(_ count: Int64) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var value = Double(count)
        var unit = 0
        while value >= 1024, unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        return unit == 0 ? "\(count) B" : String(format: "%.1f %@", value, units[unit])
    }
}
