import Crypto
import Foundation

/// SHA-256 as the platform writes it (64 lowercase hex digits): blob ids, file checksums,
/// package identities.
public enum FileDigest {
    public static func hex(_ digest: SHA256.Digest) -> String {
        digest.map { String(format: "%02x", $0) }.joined()
    }

    /// The SHA-256 of a file, read in chunks (a dataset file may not fit in memory).
    public static func sha256(of file: URL) throws -> String {
        let handle = try FileHandle(forReadingFrom: file)
        defer { try? handle.close() }
        var hasher = SHA256()
        while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty {
            hasher.update(data: chunk)
        }
        return hex(hasher.finalize())
    }
}
