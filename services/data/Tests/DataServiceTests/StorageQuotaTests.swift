import Blobs
import DataService
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Platform
import PlatformTesting
import Testing

/// Per-project storage quotas through the real data API: an upload that would cross the quota
/// is refused before anything of it is stored, whichever way it comes (a file with a length, a
/// stream without one, an MLflow artifact, a resumable upload), and a raise lets it in.
@Suite("data: storage quotas")
struct StorageQuotaTests {
    /// A PUT with a chunked body (no `Content-Length`) of `bytes`, on a raw socket; its status.
    /// The blocking socket calls run on a thread of their own: on the cooperative pool they
    /// would hold one of its few threads while the service under test needs them to answer.
    static func chunkedPut(port: Int, path: String, token: String, _ bytes: [UInt8]) async throws -> Int {
        try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread {
                continuation.resume(
                    with: Result { try blockingChunkedPut(port: port, path: path, token: token, bytes) })
            }
        }
    }

    private static func blockingChunkedPut(port: Int, path: String, token: String, _ bytes: [UInt8]) throws -> Int {
        guard let socket = connectLoopback(port) else { throw POSIXError(.ECONNREFUSED) }
        defer { close(socket) }
        var timeout = timeval(tv_sec: 30, tv_usec: 0)
        setsockopt(socket, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(socket, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        try sendAll(
            socket,
            Array(
                "PUT \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer \(token)\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
                    .utf8))
        for start in stride(from: 0, to: bytes.count, by: 8192) {
            let chunk = Array(bytes[start..<min(start + 8192, bytes.count)])
            // The service may answer and close before the last chunk: what it read is enough.
            guard
                (try? sendAll(socket, Array((String(chunk.count, radix: 16) + "\r\n").utf8) + chunk + [13, 10])) != nil
            else { break }
        }
        _ = try? sendAll(socket, Array("0\r\n\r\n".utf8))
        var answer: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while !answer.contains(10) {
            let count = recv(socket, &buffer, buffer.count, 0)
            guard count > 0 else { break }
            answer += buffer[0..<count]
        }
        let line = String(decoding: answer, as: UTF8.self).split(separator: " ")
        return line.count > 1 ? Int(line[1]) ?? 0 : 0
    }

    @Test("an upload that would cross the project's storage quota is refused and nothing of it is stored")
    func refusedUploadsStoreNothing() async throws {
        let owner = try await newUser()
        let outsider = try await newUser()
        let admin = try await TrashRetentionTests.admin()
        let state = try temporaryDirectory()
        let blobs = try FileBlobStore(directory: state.appendingPathComponent("blobs"))
        try await dataApp(state: state).test(.live) { client in
            let port = try #require(client.port)
            let (project, experiment) = try await client.projectAndExperiment(owner.token)
            let run = try await client.newRun(owner.token, experiment: experiment)
            #expect(
                try await client.call(
                    .put, "/v1/quotas/projects/\(project)", token: owner.token, json: #"{"storageBytes": 1}"#
                ).status == .forbidden)
            let set = try await client.call(
                .put, "/v1/quotas/projects/\(project)", token: admin, json: #"{"storageBytes": 100000}"#)
            #expect(set.status == .ok && set.body["limits"]?["storageBytes"] == 100_000, "\(set.body)")
            #expect(
                try await client.upload(owner.token, "/v1/runs/\(run)/files/kept.bin", FileTests.bytes(60_000)).status
                    == .created)

            func stored() async throws -> (files: [String], blobs: Int, incoming: Int) {
                var files: [String] = []
                for holder in ["/v1/runs/\(run)", "/v1/projects/\(project)"] {
                    let listed = try await client.call(.get, holder + "/files", token: owner.token).body
                    files += (listed["items"]?.arrayValue ?? []).map { $0["path"]?.text ?? "" }
                }
                return (
                    files.sorted(), try await blobs.list(prefix: "", after: nil, limit: 1000).count,
                    try FileManager.default.contentsOfDirectory(
                        atPath: state.appendingPathComponent("blobs/incoming").path
                    ).count
                )
            }
            let before = try await stored()
            #expect(before.files == ["kept.bin"] && before.blobs == 1, "\(before)")

            // A length over what is left: refused before a byte is read.
            let declared = try await client.upload(
                owner.token, "/v1/projects/\(project)/files/big.bin", FileTests.bytes(50_000, seed: 2))
            #expect(declared.status == .contentTooLarge, "\(declared.body)")
            #expect(declared.body["error"]?["field"] == "quota.storageBytes", "\(declared.body)")
            #expect(declared.body["error"]?["code"] == "quota_exceeded", "\(declared.body)")
            // A stream without a length: cut off at the limit, nothing kept.
            #expect(
                try await Self.chunkedPut(
                    port: port, path: "/v1/runs/\(run)/files/streamed.bin", token: owner.token,
                    FileTests.bytes(50_000, seed: 3)) == 413)
            // MLflow's artifact store counts too.
            let artifact = try await client.upload(
                owner.token, "/api/2.0/mlflow-artifacts/artifacts/\(experiment)/\(run)/artifacts/model.pkl",
                FileTests.bytes(50_000, seed: 4))
            #expect(artifact.status == .contentTooLarge, "\(artifact.body)")
            // A resumable upload that declares its size is refused when it starts; one that
            // does not, at the part that would cross the quota.
            let sized = try await client.call(
                .post, "/v1/uploads", token: owner.token,
                json: #"{"projectId": "\#(project)", "path": "r.bin", "size": 50000}"#)
            #expect(sized.status == .contentTooLarge && sized.body["error"]?["field"] == "quota.storageBytes")
            let unsized = try await client.call(
                .post, "/v1/uploads", token: owner.token, json: #"{"projectId": "\#(project)", "path": "r.bin"}"#
            ).body
            let part = try await client.upload(
                owner.token, "/v1/uploads/\(unsized["id"]?.text ?? "")/parts/1", FileTests.bytes(50_000, seed: 5))
            #expect(part.status == .contentTooLarge, "\(part.body)")

            let after = try await stored()
            #expect(after.files == before.files && after.blobs == before.blobs && after.incoming == 0, "\(after)")
            let quota = try await client.call(.get, "/v1/quotas/projects/\(project)", token: owner.token).body
            #expect(quota["use"]?["storageBytes"] == 60_000 && quota["own"]?["storageBytes"] == 100_000, "\(quota)")
            #expect(
                try await client.call(.get, "/v1/quotas/projects/\(project)", token: outsider.token).status == .notFound
            )

            // Raised, the same upload is stored.
            #expect(
                try await client.call(
                    .put, "/v1/quotas/projects/\(project)", token: admin, json: #"{"storageBytes": 200000}"#
                ).status == .ok)
            #expect(
                try await client.upload(
                    owner.token, "/v1/projects/\(project)/files/big.bin", FileTests.bytes(50_000, seed: 2)
                ).status == .created)
            // With no quota of its own, the default applies (none here: no limit).
            let cleared = try await client.call(
                .put, "/v1/quotas/projects/\(project)", token: admin, json: #"{"storageBytes": null}"#
            ).body
            #expect(cleared["own"] == [:] && cleared["use"]?["storageBytes"] == 110_000, "\(cleared)")
        }
    }

    @Test("a project's storage is sampled once a day and samples past their retention go (time injected)")
    func dailySamples() async throws {
        let owner = try await newUser()
        let admin = try await TrashRetentionTests.admin()
        let clock = MovableClock()
        try await dataApp(clock: clock).test(.router) { client in
            let (project, experiment) = try await client.projectAndExperiment(owner.token)
            let run = try await client.newRun(owner.token, experiment: experiment)
            #expect(
                try await client.upload(owner.token, "/v1/runs/\(run)/files/a.bin", FileTests.bytes(1000)).status
                    == .created)
            func history(from: String, to: String) async throws -> [JSONValue] {
                try await client.call(
                    .get, "/v1/projects/\(project)/storage?from=\(from)&to=\(to)", token: owner.token
                ).body["history"]?.arrayValue ?? []
            }
            let today = String(Timestamp.format(clock.now).prefix(10))
            #expect(try await client.call(.post, "/v1/admin/sweep", token: admin).status == .ok)
            #expect(try await history(from: today, to: today) == [["day": .string(today), "bytes": 1000]])
            // Later the same day: no second sample.
            #expect(try await client.call(.post, "/v1/admin/sweep", token: admin).status == .ok)
            #expect(try await history(from: today, to: today).count == 1)
            let usage = try await client.call(.get, "/v1/projects/\(project)/storage", token: owner.token).body
            #expect(usage["usedBytes"] == 1000, "\(usage)")

            // 401 days on (the default keeps 400): today's sample is gone, the new day's is there.
            clock.set(daysFromNow: 401)
            #expect(try await client.call(.post, "/v1/admin/sweep", token: admin).status == .ok)
            let later = String(Timestamp.format(clock.now).prefix(10))
            #expect(try await history(from: today, to: later).map { $0["day"]?.text } == [later])
        }
    }
}
