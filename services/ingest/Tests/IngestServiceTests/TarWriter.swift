import Foundation
import Platform
import PlatformTesting
import Testing

/// A tar written header by header (ustar), for the packages GNU tar will not make from a
/// directory: absolute and `..` names, links pointing anywhere, fifos and devices — whatever an
/// attacker can put in the bytes.
struct TarWriter {
    enum Member {
        case file(Data)
        case directory
        case hardLink(to: String)
        case symbolicLink(to: String)
        case fifo
        case characterDevice(major: Int, minor: Int)
    }

    private(set) var bytes = Data()

    /// The archive: the members, then the two zero blocks that end a tar.
    var archive: Data { bytes + Data(count: 1024) }

    mutating func add(_ name: String, _ member: Member) throws {
        try #require(name.utf8.count <= 100, "ustar names without a prefix field are at most 100 bytes: \(name)")
        var header = [UInt8](repeating: 0, count: 512)
        func put(_ text: String, at offset: Int, width: Int) {
            for (index, byte) in text.utf8.prefix(width).enumerated() { header[offset + index] = byte }
        }
        func octal(_ value: Int, at offset: Int, width: Int) {
            put(String(value, radix: 8).leftPadded(to: width - 1) + "\0", at: offset, width: width)
        }
        var content = Data()
        var type = "0"
        var link = ""
        var mode = 0o644
        var device = (0, 0)
        switch member {
        case .file(let data): content = data
        case .directory:
            type = "5"
            mode = 0o755
        case .hardLink(let target):
            type = "1"
            link = target
        case .symbolicLink(let target):
            type = "2"
            link = target
            mode = 0o777
        case .fifo: type = "6"
        case .characterDevice(let major, let minor):
            type = "3"
            device = (major, minor)
        }
        put(name, at: 0, width: 100)
        octal(mode, at: 100, width: 8)
        octal(1000, at: 108, width: 8)
        octal(1000, at: 116, width: 8)
        octal(content.count, at: 124, width: 12)
        octal(1_700_000_000, at: 136, width: 12)
        put(type, at: 156, width: 1)
        put(link, at: 157, width: 100)
        put("ustar\0", at: 257, width: 6)
        put("00", at: 263, width: 2)
        put("author", at: 265, width: 32)
        put("author", at: 297, width: 32)
        octal(device.0, at: 329, width: 8)
        octal(device.1, at: 337, width: 8)
        put("        ", at: 148, width: 8)
        let checksum = header.reduce(0) { $0 + Int($1) }
        put(String(checksum, radix: 8).leftPadded(to: 6) + "\0 ", at: 148, width: 8)
        bytes.append(contentsOf: header)
        bytes.append(content)
        bytes.append(Data(count: (512 - content.count % 512) % 512))
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        String(repeating: "0", count: max(0, width - count)) + self
    }
}

extension ModelPackage {
    /// The package written member by member: `model.json` (its `files` from `files`), the files,
    /// then `extra`, in that order.
    func handWritten(adding extra: [(name: String, member: TarWriter.Member)]) throws -> Data {
        var writer = TarWriter()
        var card = self.card
        card["files"] = .array(listing())
        try writer.add("model.json", .file(Data(card.jsonText.utf8)))
        for path in files.keys.sorted() { try writer.add(path, .file(files[path] ?? Data())) }
        for (name, member) in extra { try writer.add(name, member) }
        return writer.archive
    }
}

/// `data` compressed with gzip, as a package author would send a tar.gz.
func gzipped(_ data: Data) throws -> Data {
    let input = try temporaryDirectory().appendingPathComponent("package.tar")
    try data.write(to: input)
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/gzip")
    process.arguments = ["-c", "-n", input.path]
    let output = Pipe()
    process.standardOutput = output
    try process.run()
    let compressed = output.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    try #require(process.terminationStatus == 0, "gzip failed")
    return compressed
}
