import Foundation
import Hummingbird
import NIOCore
import Platform

/// Files under one directory, served by URL path: the browser application's own, or Debian's
/// packaged libraries. Paths that leave the directory (`..`, hidden segments, symlinks out) are 404.
struct StaticFiles: Sendable {
    let root: URL

    init(root: String) {
        self.root = URL(fileURLWithPath: root).standardizedFileURL.resolvingSymlinksInPath()
    }

    func response(for relativePath: String) throws -> Response {
        let segments = relativePath.split(separator: "/", omittingEmptySubsequences: false)
        guard !segments.isEmpty, !segments.contains(where: { $0.isEmpty || $0.hasPrefix(".") }) else {
            throw APIError.notFound("no file \(relativePath)")
        }
        let file = segments.reduce(root) { $0.appendingPathComponent(String($1)) }.resolvingSymlinksInPath()
        var isDirectory: ObjCBool = false
        guard file.path.hasPrefix(root.path + "/"),
            FileManager.default.fileExists(atPath: file.path, isDirectory: &isDirectory), !isDirectory.boolValue,
            let data = FileManager.default.contents(atPath: file.path)
        else {
            throw APIError.notFound("no file \(relativePath)")
        }
        var headers = HTTPFields()
        headers[.contentType] = Self.contentType(of: file.pathExtension)
        // Revalidated on every load: the application changes with the repository, and the
        // files are small enough that a stale module is the greater cost.
        headers[.cacheControl] = "no-cache"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    static func contentType(of pathExtension: String) -> String {
        switch pathExtension.lowercased() {
        case "html": "text/html; charset=utf-8"
        case "js", "mjs": "text/javascript; charset=utf-8"
        case "css": "text/css; charset=utf-8"
        case "json", "map": "application/json"
        case "svg": "image/svg+xml"
        case "png": "image/png"
        case "ico": "image/x-icon"
        default: "application/octet-stream"
        }
    }
}
