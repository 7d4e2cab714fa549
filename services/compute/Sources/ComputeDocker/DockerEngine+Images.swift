import AsyncHTTPClient
import Foundation
import NIOCore
import NIOFoundationCompat
import NIOHTTP1

/// Images: is it here, pull it, or import a root filesystem as one (`docker import`).
extension DockerEngine {
    public func hasImage(_ reference: String) async throws -> Bool {
        let answer = try await call(.GET, "/images/\(Self.escaped(reference))/json")
        if answer.status == 404 { return false }
        try expect(answer)
        return true
    }

    /// Pulls `reference` from its registry. The daemon answers 200 and then reports progress,
    /// and failures too, as JSON lines; the last `error` line is the failure.
    public func pull(_ reference: String) async throws {
        let (name, tag) = Self.split(reference)
        var query = ["fromImage": name]
        if let tag { query["tag"] = tag }
        let body = try await stream(.POST, "/images/create", query: query)
        var lastError: String?
        for try await line in JSONLines(body) {
            struct Progress: Decodable { let error: String? }
            if let error = (try? JSONDecoder().decode(Progress.self, from: line))?.error { lastError = error }
        }
        if let lastError { throw Failure(status: 0, message: lastError) }
        guard try await hasImage(reference) else {
            throw Failure(status: 0, message: "the pull ended without image \(reference)")
        }
    }

    /// `docker import`: a tar of a root filesystem becomes image `repository:tag`.
    public func importImage(tarFile: URL, repository: String, tag: String) async throws {
        var request = request(.POST, "/images/create", query: ["fromSrc": "-", "repo": repository, "tag": tag])
        request.headers.add(name: "Content-Type", value: "application/x-tar")
        request.body = .bytes(ByteBuffer(data: try Data(contentsOf: tarFile)))
        let answer = try await send(request, timeout: .minutes(5))
        try expect(answer)
        if let line = String(data: answer.body, encoding: .utf8), line.contains("\"error\"") {
            throw Failure(status: 0, message: line)
        }
    }

    /// `name[:tag]` or `name@digest` → the pull's `fromImage` and `tag` (a digest goes as the tag).
    static func split(_ reference: String) -> (name: String, tag: String?) {
        if let at = reference.firstIndex(of: "@") {
            return (String(reference[..<at]), String(reference[reference.index(after: at)...]))
        }
        let lastSlash = reference.lastIndex(of: "/") ?? reference.startIndex
        if let colon = reference[lastSlash...].lastIndex(of: ":") {
            return (String(reference[..<colon]), String(reference[reference.index(after: colon)...]))
        }
        return (reference, "latest")
    }

    /// A reference inside a URL path: its slashes stay (the daemon routes on them), the rest is escaped.
    static func escaped(_ reference: String) -> String {
        reference.addingPercentEncoding(
            withAllowedCharacters: .urlPathAllowed.subtracting(CharacterSet(charactersIn: "@:"))) ?? reference
    }
}
