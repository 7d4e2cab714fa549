import Foundation

/// The runtime state of one installation (`MLEX_STATE_DIR`): databases, blobs, job work dirs and
/// secrets generated on first run. Two installations with two state dirs never share a file.
public struct StateDirectory: Sendable {
    public let url: URL

    public init(_ url: URL) {
        self.url = url
    }

    /// Creates the directory readable by its owner only (0700), and closes up one an earlier
    /// version left open: it holds password hashes, signing keys and everyone's data.
    public func prepare() throws {
        try FileManager.default.createDirectory(
            at: url, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        guard chmod(url.path, 0o700) == 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EPERM) }
    }

    /// A path inside the state directory, its parent directories created.
    public func path(_ components: String...) throws -> URL {
        let target = components.reduce(url) { $0.appendingPathComponent($1) }
        try FileManager.default.createDirectory(
            at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
        return target
    }

    /// The secret stored under `secrets/<name>`, generated from the system's CSPRNG on first use.
    public func secret(named name: String, byteCount: Int = 32) throws -> [UInt8] {
        try secret(named: name) {
            var generator = SystemRandomNumberGenerator()
            return (0..<byteCount).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        }
    }

    /// The secret stored under `secrets/<name>`, made by `generate` on first use. It is written
    /// whole to a private (0600) temporary file and hard-linked into place, so no process ever
    /// reads a partial secret and two first runs agree on one.
    public func secret(named name: String, generate: () -> [UInt8]) throws -> [UInt8] {
        let file = try path("secrets", name)
        if let existing = FileManager.default.contents(atPath: file.path) {
            return [UInt8](existing)
        }
        let bytes = generate()
        guard try Self.createPrivateFile(at: file, contents: bytes) else {
            // Another process made it first: use the one on disk, so both agree.
            guard let existing = FileManager.default.contents(atPath: file.path) else { throw POSIXError(.EIO) }
            return [UInt8](existing)
        }
        return bytes
    }

    /// Writes `contents` to a new file readable only by this user (0600), whole or not at all:
    /// written and fsynced under a temporary name, then hard-linked into place. Returns false,
    /// writing nothing, when the file exists already.
    public static func createPrivateFile(at file: URL, contents: [UInt8]) throws -> Bool {
        let temporary = file.path + ".\(getpid()).\(UInt32.random(in: 0...UInt32.max)).tmp"
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL, 0o600)
        guard descriptor >= 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        defer { unlink(temporary) }
        let written = contents.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
        let synced = fsync(descriptor)
        close(descriptor)
        guard written == contents.count, synced == 0 else { throw POSIXError(.EIO) }
        if link(temporary, file.path) != 0 {
            guard errno == EEXIST else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
            return false
        }
        return true
    }
}
