import Foundation
import Platform
import PlatformTesting
import Testing

/// Packages built to hurt: bombs that unpack far past their size, floods of entries or reasons,
/// members that reach outside the unpack directory. One ingest process with small limits serves
/// the suite; serialized, so "nothing left in staging" is about one package at a time.
@Suite("ingest: package limits and hostile members", .serialized)
struct PackageLimitsTests {
    static let maxUnpackedBytes = 1 << 20
    static let maxEntries = 20
    static let maxModelCardBytes = 16 << 10

    private static let started: Result<IngestProcess, any Error> = Result {
        try IngestProcess.start(
            on: try FlowCluster.shared(),
            settings: [
                "MLEX_INGEST_MAX_UNPACKED_BYTES": String(maxUnpackedBytes),
                "MLEX_INGEST_MAX_ENTRIES": String(maxEntries),
                "MLEX_INGEST_MAX_MODEL_CARD_BYTES": String(maxModelCardBytes),
            ])
    }

    static func ingest() throws -> IngestProcess { try started.get() }

    /// Sends `package`, expects a 422 rejection, and that nothing of the package is left on disk.
    func rejected(_ package: Data, sourceLocation: SourceLocation = #_sourceLocation) async throws -> [JSONValue] {
        let ingest = try Self.ingest()
        let owner = try await ingest.cluster.newOwner()
        let answer = try await ingest.ingest(package, project: owner.project, token: owner.token)
        #expect(
            answer.status == 422 && answer.body["state"] == "rejected", "\(answer.body)", sourceLocation: sourceLocation
        )
        #expect(
            ingest.leftovers().isEmpty, "left in \(ingest.staging.path): \(ingest.leftovers())",
            sourceLocation: sourceLocation)
        return answer.body["reasons"]?.arrayValue ?? []
    }

    @Test(
        "a tar.gz that unpacks past mlex.ingest.maxUnpackedBytes is refused from its listing, and nothing of it stays on disk",
        .timeLimit(.minutes(2)))
    func unpackedBytes() async throws {
        var bomb = ModelPackage.denoiser("bomb-\(ID.make().suffix(6))")
        // Listed in the card: only the limit can refuse it.
        bomb.files["zeros.bin"] = Data(count: 8 * Self.maxUnpackedBytes)
        let package = try gzipped(try bomb.tar())
        #expect(package.count < Self.maxUnpackedBytes / 16, "compresses well: \(package.count) bytes")
        let reasons = try await rejected(package)
        #expect(
            reasons.contains {
                $0["message"]?.stringValue?.contains("mlex.ingest.maxUnpackedBytes") == true
                    && $0["file"] == "zeros.bin"
            }, "\(reasons)")
    }

    @Test(
        "a package of more entries than mlex.ingest.maxEntries is refused, and nothing of it stays on disk",
        .timeLimit(.minutes(2)))
    func entries() async throws {
        var many = ModelPackage.denoiser("many-\(ID.make().suffix(6))")
        for index in 0..<(2 * Self.maxEntries) { many.files["parts/\(index).txt"] = Data("part \(index)".utf8) }
        let reasons = try await rejected(try gzipped(try many.tar()))
        #expect(
            reasons.contains { $0["message"]?.stringValue?.contains("mlex.ingest.maxEntries") == true }, "\(reasons)")
    }

    @Test("a model.json over mlex.ingest.maxModelCardBytes is refused before it is read", .timeLimit(.minutes(2)))
    func modelCardBytes() async throws {
        var wordy = ModelPackage.denoiser("wordy-\(ID.make().suffix(6))")
        wordy.card["description"] = .string(String(repeating: "a long story ", count: Self.maxModelCardBytes / 10))
        let reasons = try await rejected(try wordy.tar())
        #expect(
            reasons.contains {
                $0["file"] == "model.json"
                    && $0["message"]?.stringValue?.contains("mlex.ingest.maxModelCardBytes") == true
            }, "\(reasons)")
    }

    @Test("a rejection keeps the first 100 reasons and ends with how many more there were", .timeLimit(.minutes(2)))
    func reasonsCap() async throws {
        let package = ModelPackage.denoiser("reasons-\(ID.make().suffix(6))")
        var card = package.card
        card["files"] = .array((0..<250).map { _ -> JSONValue in ["path": "/"] })  // 250 bad paths: 250 reasons
        let directory = try temporaryDirectory()
        try Data(card.jsonText.utf8).write(to: directory.appendingPathComponent("model.json"))
        let reasons = try await rejected(try tarOf(directory))
        #expect(reasons.count == 101, "\(reasons.count) reasons")
        #expect(reasons.prefix(100).map { $0["field"]?.stringValue } == (0..<100).map { "files.\($0).path" })
        #expect(
            reasons.last?["message"]?.stringValue?.contains("and 150 more reasons") == true,
            "\(String(describing: reasons.last))")
    }

    @Test(
        "hostile members — absolute, `..`, symbolic and hard links, fifos, devices — are refused by name, and nothing is written outside",
        .timeLimit(.minutes(2)))
    func hostileMembers() async throws {
        let ingest = try Self.ingest()
        let outside = try temporaryDirectory()
        let absolute = outside.appendingPathComponent("absolute.txt").path
        // `../climbed.txt` from an unpack directory (staging/<ingestion>) would land in staging.
        let climbed = [
            ingest.staging.appendingPathComponent("climbed.txt"),
            ingest.state.appendingPathComponent("ingest/climbed.txt"),
        ]
        let cases: [(what: String, members: [(name: String, member: TarWriter.Member)], refused: String)] = [
            ("absolute path", [(absolute, .file(Data("owned".utf8)))], "absolute"),
            ("`..` member", [("../climbed.txt", .file(Data("owned".utf8)))], "`..`"),
            (
                "symbolic link, then a file through it",
                [("escape", .symbolicLink(to: outside.path)), ("escape/planted.txt", .file(Data("owned".utf8)))],
                "symbolic link"
            ),
            ("hard link", [("passwd", .hardLink(to: "/etc/passwd"))], "hard link"),
            ("fifo", [("pipe", .fifo)], "fifo"),
            ("character device", [("null", .characterDevice(major: 1, minor: 3))], "character device"),
        ]
        for (what, members, refused) in cases {
            let package = try ModelPackage.denoiser("hostile-\(ID.make().suffix(6))").handWritten(adding: members)
            let reasons = try await rejected(package)
            let name = members[0].name
            #expect(
                reasons.contains {
                    $0["file"] == .string(name) && $0["message"]?.stringValue?.contains(refused) == true
                }, "\(what): \(reasons)")
        }
        #expect(!FileManager.default.fileExists(atPath: absolute))
        #expect(climbed.allSatisfy { !FileManager.default.fileExists(atPath: $0.path) })
        #expect(try FileManager.default.contentsOfDirectory(atPath: outside.path).isEmpty)
    }
}

@Suite("ingest: recovery")
struct RecoveryTests {
    @Test(
        "an ingestion cut off while its files were being stored is rejected, and what it stored removed, at the next start",
        .timeLimit(.minutes(3)))
    func halfStoredPackage() async throws {
        let cluster = try FlowCluster.shared()
        let first = try IngestProcess.start(on: cluster)
        let owner = try await cluster.newOwner()
        // Many files: each is one upload to data, so the package is half stored for a while.
        var package = ModelPackage.denoiser("cut-\(ID.make().suffix(6))")
        for index in 0..<400 {
            package.files["parts/\(String(format: "%03d", index)).txt"] = Data("part \(index)".utf8)
        }
        let tar = try package.tar()
        let sending = Task { try? await first.ingest(tar, project: owner.project, token: owner.token) }

        let stored = "\(cluster.platform.dataURL)/v1/projects/\(owner.project)/files?prefix=models/"
        let deadline = Date().addingTimeInterval(60)
        while try await httpCall(stored, "GET", token: owner.token).body["items"]?.arrayValue?.isEmpty ?? true {
            try #require(Date() < deadline, "nothing of the package reached data within 60 s")
            try await Task.sleep(for: .milliseconds(10))
        }
        first.crash()
        let answer = await sending.value
        #expect(answer == nil, "the package was stored whole before the crash: \(String(describing: answer))")

        let second = try first.restarted()
        let listing = "\(second.url)/v1/ingestions?projectId=\(owner.project)"
        let rejected = try await eventually(listing, token: owner.token, seconds: 60) {
            $0["items"]?.arrayValue?.first?["state"] == "rejected"
        }
        let ingestion = try #require(rejected["items"]?.arrayValue?.first)
        #expect(
            ingestion["reasons"]?.arrayValue?.first?["message"]?.stringValue?.contains("stopped while checking")
                == true, "\(ingestion)")
        _ = try await eventually(stored, token: owner.token, seconds: 60) { $0["items"]?.arrayValue?.isEmpty == true }
        #expect(second.leftovers().isEmpty)
    }
}
