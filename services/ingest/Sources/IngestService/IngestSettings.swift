import Foundation
import Platform

/// The ingest service's own settings (docs/configuration.md lists each).
struct IngestSettings: Sendable {
    static let maxPackageBytes = Setting("mlex.ingest.maxPackageBytes", default: "68719476736", "Largest package (tar) one ingestion may send, in bytes (default 64 GiB); it is staged on disk under the state dir while it is checked.")

    static let all = [maxPackageBytes]

    var maxPackageBytes: Int64

    init(_ settings: ServiceSettings) throws {
        maxPackageBytes = Int64(try settings.config.int(Self.maxPackageBytes, in: 1...Int.max))
    }
}
