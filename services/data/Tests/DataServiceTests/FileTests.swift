import Blobs
import Crypto
import DataService
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Platform
import PlatformTesting
import Testing

@Suite("data: files, resumable uploads and reclaiming storage")
struct FileTests {
    static func bytes(_ count: Int, seed: UInt8 = 7) -> [UInt8] {
        (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ Int(seed) &+ $0 >> 9) }
    }

    static func sha256(_ bytes: [UInt8]) -> String {
        SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined()
    }

    @Test("upload streams a file; download serves it whole and by Range; paths are normalised and traversal refused")
    func uploadAndDownload() async throws {
        let owner = try await newUser()
        try await dataApp().test(.router) { client in
            let (_, experiment) = try await client.projectAndExperiment(owner.token)
            let run = try await client.newRun(owner.token, experiment: experiment)
            let content = Self.bytes(300_000)
            let stored = try await client.upload(
                owner.token, "/v1/runs/\(run)/files/models//./model.bin", content, sha256: Self.sha256(content))
            #expect(stored.status == .created, "\(stored.body)")
            #expect(stored.body["path"] == "models/model.bin")
            #expect(stored.body["size"] == 300_000)
            #expect(stored.body["sha256"]?.text == Self.sha256(content))

            let whole = try await client.download(owner.token, "/v1/runs/\(run)/files/models/model.bin")
            #expect(whole.status == .ok && whole.bytes == content)
            let part = try await client.download(
                owner.token, "/v1/runs/\(run)/files/models/model.bin", range: "bytes=1000-1999")
            #expect(part.status == .partialContent)
            #expect(part.bytes == Array(content[1000..<2000]))
            #expect(part.headers[.contentRange] == "bytes 1000-1999/300000")
            #expect(
                try await client.download(owner.token, "/v1/runs/\(run)/files/models/model.bin", range: "bytes=-10")
                    .bytes == Array(content.suffix(10)))
            #expect(
                try await client.download(owner.token, "/v1/runs/\(run)/files/models/model.bin", range: "bytes=300000-")
                    .status == .rangeNotSatisfiable)

            let wrongDigest = try await client.upload(
                owner.token, "/v1/runs/\(run)/files/other.bin", content, sha256: String(repeating: "0", count: 64))
            #expect(wrongDigest.status == .badRequest)
            #expect(wrongDigest.body["error"]?["field"] == "X-Content-SHA256")
            for path in ["a/%2E%2E/b", "a/%00b", String(repeating: "x", count: 300)] {
                let refused = try await client.upload(owner.token, "/v1/runs/\(run)/files/\(path)", [1, 2, 3])
                #expect(refused.status == .badRequest, "\(path): \(refused.body)")
                #expect(refused.body["error"]?["field"] == "path")
            }
            let listed = try await client.call(.get, "/v1/runs/\(run)/files?prefix=models/", token: owner.token).body[
                "items"]?.arrayValue
            #expect(listed?.map { $0["path"]?.text ?? "" } == ["models/model.bin"])
            let deleted = try await client.call(.delete, "/v1/runs/\(run)/files/models/model.bin", token: owner.token)
            #expect(deleted.body["freedBytes"] == 300_000)
            #expect(
                try await client.download(owner.token, "/v1/runs/\(run)/files/models/model.bin").status == .notFound)
        }
    }

    @Test("two runs share one blob: deleting one keeps it, purging the other frees it")
    func sharedBlobs() async throws {
        let owner = try await newUser()
        try await dataApp().test(.router) { client in
            let (_, experiment) = try await client.projectAndExperiment(owner.token)
            let (first, second) = (
                try await client.newRun(owner.token, experiment: experiment),
                try await client.newRun(owner.token, experiment: experiment)
            )
            let content = Self.bytes(50_000, seed: 3)
            #expect(
                try await client.upload(owner.token, "/v1/runs/\(first)/files/weights.bin", content).status == .created)
            #expect(
                try await client.upload(owner.token, "/v1/runs/\(second)/files/copy/weights.bin", content).status
                    == .created)
            #expect(
                try await client.call(.delete, "/v1/runs/\(first)/files/weights.bin", token: owner.token).body[
                    "freedBytes"] == 0)
            #expect(
                try await client.download(owner.token, "/v1/runs/\(second)/files/copy/weights.bin").bytes == content)
            #expect(
                try await client.call(.delete, "/v1/runs/\(second)", token: owner.token).body["freedBytes"] == 0,
                "the trash keeps files")
            #expect(
                try await client.call(.delete, "/v1/runs/\(second)?purge=true", token: owner.token).body["freedBytes"]
                    == 50_000)
        }
    }

    @Test("a resumable upload survives a really cut connection and completes from the parts that arrived")
    func resumable() async throws {
        let owner = try await newUser()
        try await dataApp().test(.live) { client in
            let (project, _) = try await client.projectAndExperiment(owner.token)
            let content = Self.bytes(2_621_440 + 12_345, seed: 9)
            let partSize = 1 << 20
            let created = try await client.call(
                .post, "/v1/uploads", token: owner.token,
                json: #"""
                    {"projectId": "\#(project)", "path": "code/package.tar", "size": \#(content.count), "sha256": "\#(Self.sha256(content))", "partSize": \#(partSize)}
                    """#)
            #expect(created.status == .created, "\(created.body)")
            let upload = created.body["id"]?.text ?? ""
            #expect(
                try await client.upload(owner.token, "/v1/uploads/\(upload)/parts/1", Array(content[0..<partSize]))
                    .status == .ok)
            // Part 2: the headers promise a whole part, 300 KB arrive, then the connection drops.
            try cutUpload(
                port: client.port!, path: "/v1/uploads/\(upload)/parts/2", token: owner.token, promised: partSize,
                sent: Array(content[partSize..<(partSize + 300_000)]))
            let state = try await withRetries(20) {
                let state = try await client.call(.get, "/v1/uploads/\(upload)", token: owner.token).body
                guard state["receivedBytes"] == .int(Int64(partSize)) else { throw POSIXError(.EAGAIN) }
                return state
            }
            #expect(state["parts"]?.arrayValue?.map { $0["number"] ?? .null } == [1])
            let early = try await client.call(.post, "/v1/uploads/\(upload)/complete", token: owner.token)
            #expect(early.body["error"]?["code"] == "size_mismatch" || early.body["error"]?["code"] == "parts_missing")
            #expect(
                try await client.upload(
                    owner.token, "/v1/uploads/\(upload)/parts/2", Array(content[partSize..<(2 * partSize)])
                ).status == .ok)
            #expect(
                try await client.upload(owner.token, "/v1/uploads/\(upload)/parts/3", Array(content[(2 * partSize)...]))
                    .status == .ok)
            let file = try await client.call(.post, "/v1/uploads/\(upload)/complete", token: owner.token)
            #expect(file.status == .created, "\(file.body)")
            #expect(file.body["sha256"]?.text == Self.sha256(content))
            #expect(
                try await client.download(owner.token, "/v1/projects/\(project)/files/code/package.tar").bytes
                    == content)
            #expect(
                try await client.call(.get, "/v1/uploads/\(upload)", token: owner.token).status == .notFound,
                "a completed upload is gone")
        }
    }

    @Test("the sweeper frees a blob a crash left without a file, and keeps every referenced one")
    func sweeper() async throws {
        let owner = try await newUser()
        let admin = try await UsersServer.shared().signIn(UsersServer.adminEmail, password: UsersServer.adminPassword)
        let state = try temporaryDirectory()
        try await dataApp(state: state).test(.router) { client in
            let (_, experiment) = try await client.projectAndExperiment(owner.token)
            let run = try await client.newRun(owner.token, experiment: experiment)
            let kept = Self.bytes(10_000, seed: 1)
            #expect(try await client.upload(owner.token, "/v1/runs/\(run)/files/kept.bin", kept).status == .created)
            let created = try await client.call(
                .post, "/v1/uploads", token: owner.token,
                json: #"{"runId": "\#(run)", "path": "x", "partSize": 1048576}"#
            ).body
            #expect(
                try await client.upload(
                    owner.token, "/v1/uploads/\(created["id"]?.text ?? "")/parts/1", Self.bytes(20_000, seed: 2)
                ).status == .ok)
            // What a crash between storing the bytes and recording the file leaves behind.
            let orphan = Self.bytes(30_000, seed: 4)
            _ = try await FileBlobStore(directory: state.appendingPathComponent("blobs")).put(
                AsyncStream {
                    $0.yield(ByteBuffer(bytes: orphan))
                    $0.finish()
                }, maxBytes: nil)

            #expect(try await client.call(.post, "/v1/admin/sweep", token: owner.token).status == .forbidden)
            #expect(
                try await client.call(.post, "/v1/admin/sweep", token: admin).body["blobs"] == 0,
                "younger than the grace period")
            let swept = try await client.call(.post, "/v1/admin/sweep?graceSeconds=0", token: admin).body
            #expect(swept["blobs"] == 1)
            #expect(swept["freedBytes"] == 30_000)
            #expect(try await client.download(owner.token, "/v1/runs/\(run)/files/kept.bin").bytes == kept)
            #expect(
                try await client.call(.get, "/v1/uploads/\(created["id"]?.text ?? "")", token: owner.token).body[
                    "receivedBytes"] == 20_000)
            #expect(
                try await client.call(.delete, "/v1/uploads/\(created["id"]?.text ?? "")", token: owner.token).body[
                    "freedBytes"] == 20_000)
        }
    }
}

extension TestClientProtocol {
    func upload(
        _ token: String, _ uri: String, _ bytes: [UInt8], sha256: String? = nil
    ) async throws -> (status: HTTPResponse.Status, body: JSONValue) {
        var headers = HTTPFields()
        headers[.authorization] = "Bearer \(token)"
        headers[.contentType] = "application/octet-stream"
        if let sha256 { headers[HTTPField.Name("X-Content-SHA256")!] = sha256 }
        return try await execute(uri: uri, method: .put, headers: headers, body: ByteBuffer(bytes: bytes)) { response in
            let text = String(buffer: response.body)
            return (response.status, text.isEmpty ? .null : ((try? JSONValue.parse(text)) ?? .string(text)))
        }
    }

    func download(
        _ token: String, _ uri: String, range: String? = nil
    ) async throws -> (status: HTTPResponse.Status, bytes: [UInt8], headers: HTTPFields) {
        var headers = HTTPFields()
        headers[.authorization] = "Bearer \(token)"
        if let range { headers[.range] = range }
        return try await execute(uri: uri, method: .get, headers: headers) { response in
            (response.status, Array(response.body.readableBytesView), response.headers)
        }
    }
}

/// Sends a PUT whose headers promise `promised` bytes, writes only `sent`, and closes the
/// socket: a connection cut mid-upload, as a flaky network does it.
func cutUpload(port: Int, path: String, token: String, promised: Int, sent: [UInt8]) throws {
    guard let fd = connectLoopback(port) else { throw POSIXError(.ECONNREFUSED) }
    defer { close(fd) }
    let head =
        "PUT \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer \(token)\r\nContent-Type: application/octet-stream\r\nContent-Length: \(promised)\r\n\r\n"
    try sendAll(fd, Array(head.utf8))
    try sendAll(fd, sent)
    usleep(200_000)
}

@Suite("data: a data process killed mid-upload")
struct KilledUploadTests {
    @Test("leaves no visible half-file, and its half-written bytes go at the next sweep")
    func killedMidUpload() async throws {
        let owner = try await newUser()
        let admin = try await UsersServer.shared().signIn(UsersServer.adminEmail, password: UsersServer.adminPassword)
        let state = try temporaryDirectory()
        let port = try freePort()
        let environment = try UsersServer.shared().environment().merging([
            "MLEX_STATE_DIR": state.path, "MLEX_CONFIG_DIR": "/nonexistent", "MLEX_DATA_PORT": String(port),
            "MLEX_DATA_HOST": "127.0.0.1",
            "MLEX_DB_DIR": repositoryRoot().appendingPathComponent("db").path, "MLEX_STORE": "",
            "MLEX_LOG_LEVEL": "error",
        ]) { $1 }
        let pid = try startPlatformProcess("mlex-data", environment: environment, port: port)
        let base = "http://127.0.0.1:\(port)"
        let project =
            try await callJSON(base + "/v1/projects", method: "POST", body: #"{"name": "killed"}"#, token: owner.token)[
                "id"]?.text ?? ""

        // 3 MB of a promised 10 MB arrive, then the service dies mid-upload.
        guard let socket = connectLoopback(port) else { throw POSIXError(.ECONNREFUSED) }
        defer { close(socket) }
        try sendAll(
            socket,
            Array(
                "PUT /v1/projects/\(project)/files/big.bin HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer \(owner.token)\r\nContent-Length: 10485760\r\n\r\n"
                    .utf8))
        try sendAll(socket, FileTests.bytes(3 << 20))
        let incoming = state.appendingPathComponent("blobs/incoming")
        _ = try await withRetries(50) {
            guard try FileManager.default.contentsOfDirectory(atPath: incoming.path).count == 1 else {
                throw POSIXError(.EAGAIN)
            }
        }
        kill(pid, SIGKILL)
        var status: Int32 = 0
        waitpid(pid, &status, 0)

        try await dataApp(state: state).test(.router) { client in
            #expect(try await client.download(owner.token, "/v1/projects/\(project)/files/big.bin").status == .notFound)
            #expect(
                try await client.call(.get, "/v1/projects/\(project)/files", token: owner.token).body["items"] == [])
            let swept = try await client.call(.post, "/v1/admin/sweep?graceSeconds=0", token: admin).body
            #expect(swept["abandonedUploads"] == 1, "\(swept)")
            #expect(try FileManager.default.contentsOfDirectory(atPath: incoming.path).isEmpty)
            #expect(
                try FileManager.default.subpathsOfDirectory(atPath: state.appendingPathComponent("blobs/sha256").path)
                    .filter { $0.count > 60 }.isEmpty)
        }
    }
}

/// Writes every byte of `bytes` to the socket.
func sendAll(_ socket: Int32, _ bytes: [UInt8]) throws {
    var offset = 0
    while offset < bytes.count {
        let written = bytes[offset...].withUnsafeBytes { send(socket, $0.baseAddress, $0.count, 0) }
        guard written > 0 else { throw POSIXError(.EPIPE) }
        offset += written
    }
}
