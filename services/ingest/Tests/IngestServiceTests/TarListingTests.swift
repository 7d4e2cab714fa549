import Foundation
import Platform
import PlatformTesting
import Testing

@testable import IngestService

/// The listing check on its own: how it reads GNU tar's lines, and that a package over a limit
/// is refused before anything of it is written.
@Suite("ingest: tar listing")
struct TarListingTests {
    static let roomy = UnpackLimits(maxUnpackedBytes: 1 << 30, maxEntries: 1000, maxModelCardBytes: 1 << 20)

    /// A staged package made by GNU tar from `files` (path → bytes), optionally gzipped.
    func archive(_ files: [String: Data], gzip: Bool = false) throws -> PackageArchive {
        let directory = try temporaryDirectory()
        for (path, bytes) in files {
            let url = directory.appendingPathComponent(path)
            try FileManager.default.createDirectory(
                at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try bytes.write(to: url)
        }
        let file = try temporaryDirectory().appendingPathComponent("package.tar")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/tar")
        process.arguments = [gzip ? "-czf" : "-cf", file.path, "-C", directory.path, "."]
        try process.run()
        process.waitUntilExit()
        try #require(process.terminationStatus == 0)
        return PackageArchive(file: file, digest: "", size: 0)
    }

    @Test(
        "names with spaces, quotes, backslashes, newlines and non-ASCII letters survive the listing and the unpacking")
    func oddNames() async throws {
        let names = [
            "a b.txt", "quote\"d.txt", "back\\slash.txt", "new\nline.txt", "tab\there.txt", "ünïcödé/名前.txt",
            "arrow -> not a link.txt", " link to x",
        ]
        let package = try archive(Dictionary(uniqueKeysWithValues: names.map { ($0, Data($0.utf8)) }), gzip: true)
        let directory = try temporaryDirectory().appendingPathComponent("unpacked")
        let unpacked = await package.unpack(into: directory, limits: Self.roomy)
        guard case .passed(let files) = unpacked else {
            Issue.record("refused: \(unpacked)")
            return
        }
        #expect(Set(files.keys) == Set(names))
    }

    @Test("the lines GNU tar prints are read exactly: kind, path and size")
    func lines() throws {
        let cases: [(String, TarListingLine.Kind, String, Int64?)] = [
            (#"-rw-r--r-- 1000/1000      4096 2024-05-01 12:00 "./weights.bin""#, .file, "weights.bin", 4096),
            (#"drwxr-xr-x 0/0               0 2024-05-01 12:00 "./sub/""#, .directory, "sub", 0),
            (
                #"-rw-r--r-- 0/0               2 2024-05-01 12:00 "./new\nline \"q\" \\ \303\274.txt""#, .file,
                "new\nline \"q\" \\ ü.txt", 2
            ),
            (
                #"hrw-r--r-- 0/0               0 2024-05-01 12:00 "./copy" link to "./a b.txt""#,
                .hardLink(to: "./a b.txt"), "copy", 0
            ),
            (
                #"lrwxrwxrwx 0/0               0 2024-05-01 12:00 "./escape -> x" -> "/etc""#,
                .symbolicLink(to: "/etc"), "escape -> x", 0
            ),
            (#"crw-r--r-- 0/0             1,3 2024-05-01 12:00 "null""#, .characterDevice, "null", nil),
            (#"prw-r--r-- 0/0               0 1901-12-13 20:45 "pipe""#, .fifo, "pipe", 0),
            (#"-rw-r--r-- 0/0  99999999999999999999999 2024-05-01 12:00 "huge""#, .file, "huge", nil),
            (#"-rw-r--r-- 0/0 5 292277026596-12-04 15:30 "a?""?b""#, .file, "a??b", 5),
        ]
        for (line, kind, path, size) in cases {
            let member = try #require(TarListingLine(Array(line.utf8)), "\(line)")
            #expect(member.kind == kind && member.path == path && member.size == size, "\(line) → \(member)")
        }
        let absolute = try #require(TarListingLine(Array(#"-rw-r--r-- 0/0 1 2024-05-01 12:00 "/etc/cron.d/x""#.utf8)))
        #expect(
            absolute.isAbsolute && absolute.refusal?.contains("absolute") == true
                && absolute.shownName == "/etc/cron.d/x")
        let climbing = try #require(TarListingLine(Array(#"-rw-r--r-- 0/0 1 2024-05-01 12:00 "./a/../../x""#.utf8)))
        #expect(climbing.climbsOut && climbing.refusal?.contains("..") == true && climbing.shownName == "./a/../../x")
    }

    @Test("odd listing lines are nil or refused, never a crash")
    func oddLines() {
        let odd = [
            "", "\"", "\"\\", "garbage", "- 0/0 1 \"short mode\"", "-rw-r--r-- 0/0 \"two columns\"",
            #"-rw-r--r-- 0/0 5 2024 "unterminated"#,
            #"-rw-r--r-- 0/0 5 2024 "bad octal \777""#, #"-rw-r--r-- 0/0 5 2024 "trailing backslash \"#,
        ]
        for line in odd { #expect(TarListingLine(Array(line.utf8)) == nil, "\(line)") }
        // Random bytes, and valid lines cut and spliced at random: whatever comes back, no trap.
        var random = SeededRandom(seed: 42)
        let valid = Array(#"hrw-r--r-- 0/0 0 2024-05-01 12:00 "./a\"\n\303\274" link to "b\\""#.utf8)
        for _ in 0..<20_000 {
            var line = (0..<Int.random(in: 0..<80, using: &random)).map { _ in UInt8.random(in: 0...255, using: &random)
            }
            if Bool.random(using: &random) {
                line = Array(valid.prefix(Int.random(in: 0...valid.count, using: &random))) + line.prefix(8)
            }
            _ = TarListingLine(line)?.refusal
            var check = ListingCheck(limits: Self.roomy)
            check.read(line[...])
        }
    }

    @Test("a package over a limit is refused from its listing, before its unpack directory is even made")
    func refusedBeforeWriting() async throws {
        let bomb = try archive(["model.json": Data("{}".utf8), "zeros.bin": Data(count: 4 << 20)], gzip: true)
        let many = try archive(Dictionary(uniqueKeysWithValues: (0..<50).map { ("f\($0)", Data()) }))
        let card = try archive(["model.json": Data(count: 4096)])
        let cases: [(PackageArchive, UnpackLimits, String)] = [
            (
                bomb, UnpackLimits(maxUnpackedBytes: 1 << 20, maxEntries: 1000, maxModelCardBytes: nil),
                "mlex.ingest.maxUnpackedBytes"
            ),
            (
                many, UnpackLimits(maxUnpackedBytes: 1 << 30, maxEntries: 10, maxModelCardBytes: nil),
                "mlex.ingest.maxEntries"
            ),
            (
                card, UnpackLimits(maxUnpackedBytes: 1 << 30, maxEntries: 10, maxModelCardBytes: 1024),
                "mlex.ingest.maxModelCardBytes"
            ),
        ]
        for (package, limits, setting) in cases {
            let directory = try temporaryDirectory().appendingPathComponent("unpacked")
            guard case .failed(let reasons) = await package.unpack(into: directory, limits: limits) else {
                Issue.record("\(setting): accepted")
                continue
            }
            #expect(reasons.list.contains { $0.message.contains(setting) }, "\(reasons.list)")
            #expect(!FileManager.default.fileExists(atPath: directory.path), "\(setting): unpacked before refusing")
        }
        // A dataset package has no card: model.json is a file like any other.
        let directory = try temporaryDirectory().appendingPathComponent("unpacked")
        guard
            case .passed = await card.unpack(
                into: directory, limits: UnpackLimits(maxUnpackedBytes: 1 << 30, maxEntries: 10, maxModelCardBytes: nil)
            )
        else {
            Issue.record("a dataset's model.json was held to the card's limit")
            return
        }
    }

    @Test("a rejection keeps the first 100 reasons, then says how many more there were")
    func reasonsCap() {
        var reasons = Reasons()
        for index in 0..<100_000 { reasons.append(Reason(field: "files.\(index).path", file: nil, message: "bad")) }
        #expect(reasons.list.count == 101 && reasons.count == 100_000)
        #expect(
            reasons.list.last?.message.hasPrefix("…and 99,900 more reasons") == true,
            "\(String(describing: reasons.list.last))")
        var merged: Reasons = [Reason(field: nil, file: nil, message: "first")]
        merged.append(contentsOf: reasons)
        #expect(merged.list.count == 101 && merged.list.last?.message.hasPrefix("…and 99,901 more reasons") == true)
        let few = Reasons((0..<100).map { Reason(field: nil, file: nil, message: "\($0)") })
        #expect(few.list.count == 100)
        let long = Reasons([Reason(field: String(repeating: "k", count: 1 << 20), file: nil, message: "unknown key")])
        #expect((long.list.first?.field?.count ?? 0) <= Reasons.maxNameLength)
        #expect(
            Reasons.grouped(1) == "1" && Reasons.grouped(1000) == "1,000" && Reasons.grouped(1_234_567) == "1,234,567")
    }
}

/// A deterministic generator (SplitMix64), so a failing random case can be replayed.
struct SeededRandom: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var value = state
        value = (value ^ (value >> 30)) &* 0xBF58_476D_1CE4_E5B9
        value = (value ^ (value >> 27)) &* 0x94D0_49BB_1331_11EB
        return value ^ (value >> 31)
    }
}

extension TarListingTests {
    @Test(
        "a package may unpack to at most maxCompressionRatio times its size, above a 1 GiB floor, and never past maxUnpackedBytes"
    )
    func compressionRatio() async throws {
        let service = try await ServiceSettings.forTesting(
            .ingest, stateDirectory: try temporaryDirectory(), extraSettings: IngestSettings.all)
        let settings = try IngestSettings(service)
        #expect(settings.maxCompressionRatio == 100)
        let bomb = settings.unpackLimits(kind: "model", packageBytes: 9 << 20)  // the 9 MB gzip that unpacked to 2 GiB
        #expect(bomb.maxUnpackedBytes == 1 << 30)
        #expect(bomb.unpackedSetting.contains("mlex.ingest.maxCompressionRatio"))
        #expect(settings.unpackLimits(kind: "model", packageBytes: 100 << 20).maxUnpackedBytes == 100 * (100 << 20))
        let huge = settings.unpackLimits(kind: "dataset", packageBytes: 60 << 30)
        #expect(
            huge.maxUnpackedBytes == settings.maxUnpackedBytes && huge.unpackedSetting == "mlex.ingest.maxUnpackedBytes"
        )
        #expect(
            settings.unpackLimits(kind: "model", packageBytes: .max).maxUnpackedBytes == settings.maxUnpackedBytes,
            "no overflow")
    }
}
