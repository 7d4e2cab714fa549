import Foundation
import Platform

/// The ingest service's own settings (docs/configuration.md lists each).
struct IngestSettings: Sendable {
    static let maxPackageBytes = Setting(
        "mlex.ingest.maxPackageBytes", default: "68719476736",
        "Largest package (tar) one ingestion may send, in bytes (default 64 GiB); it is staged on disk under the state dir while it is checked."
    )
    /// Empty by default: the same as `maxPackageBytes`. An uncompressed tar's files are smaller
    /// than the tar, so this never refuses a package the upload limit lets in uncompressed, and
    /// however well a package compresses it cannot take more disk than the largest uncompressed
    /// one — the staging budget operators already plan for; it also follows maxPackageBytes down.
    static let maxUnpackedBytes = Setting(
        "mlex.ingest.maxUnpackedBytes", default: "",
        "Most bytes the files of one package may unpack to (empty: the same as mlex.ingest.maxPackageBytes). The package's listing is checked before anything is unpacked, and tar is stopped as soon as the total passes it."
    )
    /// Model weights compress a little and text datasets five- to tenfold; a bomb (the 9 MB gzip
    /// that unpacked to 2 GiB) a thousandfold. Small packages get a floor, so a tiny archive of
    /// a sparse array is not refused for its ratio alone.
    static let maxCompressionRatio = Setting(
        "mlex.ingest.maxCompressionRatio", default: "100",
        "Most times its own size a package may unpack to (1–100000), above a floor of 1 GiB: a compressed package over it is refused from its listing like one over maxUnpackedBytes."
    )
    static let compressionFloorBytes: Int64 = 1 << 30
    static let maxEntries = Setting(
        "mlex.ingest.maxEntries", default: "10000",
        "Most entries (files and directories) one package may hold (1–10000000); each file is one upload to data. The listing is stopped as soon as it passes it."
    )
    /// 4 MiB: a card lists every file with its path, size and SHA-256 (about 150–200 bytes each),
    /// so a card listing `maxEntries` files fits twice over, and parsing it stays cheap.
    static let maxModelCardBytes = Setting(
        "mlex.ingest.maxModelCardBytes", default: "4194304",
        "Largest model.json a model package may hold, in bytes (default 4 MiB, at most 64 MiB); checked in the listing and again before the card is read."
    )

    static let all = [maxPackageBytes, maxUnpackedBytes, maxCompressionRatio, maxEntries, maxModelCardBytes]

    var maxPackageBytes: Int64
    var maxUnpackedBytes: Int64
    var maxCompressionRatio: Int64
    var maxEntries: Int
    var maxModelCardBytes: Int64

    init(_ settings: ServiceSettings) throws {
        maxPackageBytes = Int64(try settings.config.int(Self.maxPackageBytes, in: 1...Int.max))
        let unpacked = settings.config.string(Self.maxUnpackedBytes).trimmingCharacters(in: .whitespaces)
        maxUnpackedBytes =
            unpacked.isEmpty ? maxPackageBytes : Int64(try settings.config.int(Self.maxUnpackedBytes, in: 1...Int.max))
        maxCompressionRatio = Int64(try settings.config.int(Self.maxCompressionRatio, in: 1...100_000))
        maxEntries = try settings.config.int(Self.maxEntries, in: 1...10_000_000)
        maxModelCardBytes = Int64(try settings.config.int(Self.maxModelCardBytes, in: 1...64 << 20))
    }

    /// What unpacking a package of `kind` and `packageBytes` may take; only model packages have a card.
    func unpackLimits(kind: String, packageBytes: Int64) -> UnpackLimits {
        let (ratioBound, overflow) = packageBytes.multipliedReportingOverflow(by: maxCompressionRatio)
        let byRatio = overflow ? Int64.max : max(ratioBound, Self.compressionFloorBytes)
        return UnpackLimits(
            maxUnpackedBytes: min(maxUnpackedBytes, byRatio), maxEntries: maxEntries,
            maxModelCardBytes: kind == "model" ? maxModelCardBytes : nil,
            unpackedSetting: byRatio < maxUnpackedBytes
                ? "\(maxCompressionRatio) times the package's \(packageBytes) bytes: mlex.ingest.maxCompressionRatio"
                : "mlex.ingest.maxUnpackedBytes"
        )
    }
}

/// Bounds checked while a package is listed, before anything of it is written.
struct UnpackLimits: Sendable {
    var maxUnpackedBytes: Int64
    var maxEntries: Int
    /// The largest root `model.json`, for packages that have a card.
    var maxModelCardBytes: Int64?
    /// Which rule set `maxUnpackedBytes`, for the reason a refusal gives.
    var unpackedSetting = "mlex.ingest.maxUnpackedBytes"
}
