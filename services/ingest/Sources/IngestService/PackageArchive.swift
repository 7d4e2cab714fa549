import Blobs
import Crypto
import Foundation
import Hummingbird
import Platform

/// A package as it arrives: streamed to a staging file under the state dir (never whole in
/// memory) with its SHA-256 — the package's identity, which makes re-submitting idempotent —
/// then listed and checked with tar, unpacked into a directory of its own only when that
/// passes, and walked.
struct PackageArchive: Sendable {
    let file: URL
    let digest: String
    let size: Int64

    /// Streams `body` to `file`; 413 when it grows past `limit`.
    static func receive(_ body: RequestBody, to file: URL, limit: Int64) async throws -> PackageArchive {
        try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        guard FileManager.default.createFile(atPath: file.path, contents: nil) else {
            throw APIError(.internalServerError, code: "staging_failed", message: "cannot stage the package on disk")
        }
        let handle = try FileHandle(forWritingTo: file)
        defer { try? handle.close() }
        var hasher = SHA256()
        var size: Int64 = 0
        do {
            for try await buffer in body {
                size += Int64(buffer.readableBytes)
                guard size <= limit else {
                    throw APIError(
                        .contentTooLarge, code: "package_too_large",
                        message: "a package is at most \(limit) bytes (mlex.ingest.maxPackageBytes)")
                }
                let bytes = Data(buffer.readableBytesView)
                hasher.update(data: bytes)
                try handle.write(contentsOf: bytes)
            }
        } catch {
            try? FileManager.default.removeItem(at: file)
            throw error
        }
        guard size > 0 else {
            try? FileManager.default.removeItem(at: file)
            throw APIError.badRequest("send the package (a tar or tar.gz) as the request body", code: "empty_package")
        }
        return PackageArchive(file: file, digest: FileDigest.hex(hasher.finalize()), size: size)
    }

    /// Unpacks into `directory` within `limits`; the regular files by relative path, or why it
    /// cannot be unpacked. Runs on a thread of its own: tar is waited for and read blockingly.
    func unpack(into directory: URL, limits: UnpackLimits) async -> Checked<[String: URL]> {
        await withCheckedContinuation { continuation in
            DispatchQueue.global(qos: .utility).async {
                continuation.resume(returning: unpackNow(into: directory, limits: limits))
            }
        }
    }

    /// First the listing (`TarCommand.list`): members, sizes and types are checked as tar reads
    /// them, before anything touches disk, and tar is killed as soon as a limit is passed — a
    /// 9 MB gzip once unpacked 2 GiB before it was refused. Only a package whose listing passes
    /// is extracted; the walk after it is a second check of what tar actually wrote.
    private func unpackNow(into directory: URL, limits: UnpackLimits) -> Checked<[String: URL]> {
        let listed = TarCommand.list(file, limits: limits)
        guard listed.isEmpty else { return .failed(listed) }
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            if let failure = try TarCommand.extract(file, into: directory) {
                return .failed([
                    Reason(
                        field: nil, file: nil,
                        message: "the package is not a tar or tar.gz archive tar can unpack safely: \(failure)")
                ])
            }
        } catch {
            return .failed([Reason(field: nil, file: nil, message: "cannot unpack the package: \(error)")])
        }
        var files: [String: URL] = [:]
        var reasons = Reasons()
        let base = directory.standardizedFileURL.path
        let walker = FileManager.default.enumerator(
            at: directory, includingPropertiesForKeys: [.isRegularFileKey, .isDirectoryKey, .isSymbolicLinkKey])
        while let url = walker?.nextObject() as? URL {
            let path = String(url.standardizedFileURL.path.dropFirst(base.count + 1))
            let values = try? url.resourceValues(forKeys: [.isRegularFileKey, .isDirectoryKey, .isSymbolicLinkKey])
            if values?.isDirectory == true, values?.isSymbolicLink != true { continue }
            guard values?.isRegularFile == true, values?.isSymbolicLink != true else {
                reasons.append(
                    Reason(
                        field: nil, file: path,
                        message: "only regular files and directories may be in a package (this is a link or a device)"))
                continue
            }
            files[path] = url
        }
        return reasons.isEmpty ? .passed(files) : .failed(reasons)
    }
}
