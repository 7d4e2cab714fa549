import DataService
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Platform
import PlatformTesting
import Testing

@Suite("data: MLflow's proxied artifact API (mlflow-artifacts), multipart uploads included")
struct MLflowArtifactTests {
    static let root = "/api/2.0/mlflow-artifacts/artifacts"

    @Test("upload, list, download (whole and ranged) and delete are the run's own files, at both path prefixes")
    func uploadListDownloadDelete() async throws {
        let owner = try await newUser()
        try await dataApp().test(.router) { client in
            let (project, experiment) = try await client.projectAndExperiment(owner.token)
            let run = try await client.newRun(owner.token, experiment: experiment)
            let base = "\(Self.root)/\(experiment)/\(run)/artifacts"
            let model = FileTests.bytes(700_000, seed: 5)
            let small = Array("accuracy: 0.9\n".utf8)
            #expect(try await client.upload(owner.token, "\(base)/model/weights.bin", model).status == .ok)
            #expect(try await client.upload(owner.token, "\(base)/model/conf/config.yaml", small).status == .ok)
            // The project prefix of a tracking URI reaches the same run.
            let prefixed = "/mlflow/\(project)\(Self.root)/\(experiment)/\(run)/artifacts"
            #expect(try await client.upload(owner.token, "\(prefixed)/metrics.txt", small).status == .ok)

            let top = try await client.call(
                .get, "\(Self.root)?path=\(experiment)/\(run)/artifacts", token: owner.token)
            #expect(top.status == .ok, "\(top.body)")
            #expect(Self.listing(top.body) == ["metrics.txt:\(small.count)", "model/"])
            let folder = try await client.call(
                .get, "\(Self.root)?path=\(experiment)/\(run)/artifacts/model", token: owner.token)
            #expect(Self.listing(folder.body) == ["conf/", "weights.bin:700000"])
            let file = try await client.call(
                .get, "\(Self.root)?path=\(experiment)/\(run)/artifacts/model/weights.bin", token: owner.token)
            #expect(file.status == .ok && Self.listing(file.body) == [])

            #expect(try await client.download(owner.token, "\(base)/model/weights.bin").bytes == model)
            let part = try await client.download(owner.token, "\(prefixed)/model/weights.bin", range: "bytes=10-19")
            #expect(part.status == .partialContent && part.bytes == Array(model[10..<20]))
            // What MLflow logged is the run's file for our API, mlex and the web UI.
            #expect(try await client.download(owner.token, "/v1/runs/\(run)/files/model/weights.bin").bytes == model)

            #expect(try await client.call(.delete, "\(base)/model", token: owner.token).status == .ok)
            let after = try await client.call(
                .get, "\(Self.root)?path=\(experiment)/\(run)/artifacts", token: owner.token)
            #expect(Self.listing(after.body) == ["metrics.txt:\(small.count)"])
            let gone = try await client.download(owner.token, "\(base)/model/weights.bin")
            #expect(gone.status == .notFound)
            #expect(Self.errorCode(gone.bytes) == "RESOURCE_DOES_NOT_EXIST")
        }
    }

    @Test("viewers read but cannot write; outsiders, unknown runs and a run of another experiment do not exist")
    func permissions() async throws {
        let (owner, viewer, outsider) = (
            try await newUser(), try await newUser("viewer"), try await newUser("outsider")
        )
        try await dataApp().test(.router) { client in
            let (project, experiment) = try await client.projectAndExperiment(owner.token)
            let run = try await client.newRun(owner.token, experiment: experiment)
            let granted = try await client.call(
                .put, "/v1/projects/\(project)/members/user/\(viewer.id)", token: owner.token,
                json: #"{"role": "viewer"}"#)
            #expect(granted.status == .created)
            let base = "\(Self.root)/\(experiment)/\(run)/artifacts"
            #expect(try await client.upload(owner.token, "\(base)/a.txt", [1, 2, 3]).status == .ok)

            #expect(try await client.download(viewer.token, "\(base)/a.txt").bytes == [1, 2, 3])
            let denied = try await client.upload(viewer.token, "\(base)/b.txt", [4])
            #expect(denied.status == .forbidden)
            #expect(denied.body["error_code"] == "PERMISSION_DENIED")
            #expect(try await client.call(.delete, "\(base)/a.txt", token: viewer.token).status == .forbidden)

            let hidden = try await client.download(outsider.token, "\(base)/a.txt")
            #expect(hidden.status == .notFound && Self.errorCode(hidden.bytes) == "RESOURCE_DOES_NOT_EXIST")
            let listed = try await client.call(
                .get, "\(Self.root)?path=\(experiment)/\(run)/artifacts", token: outsider.token)
            #expect(listed.body["error_code"] == "RESOURCE_DOES_NOT_EXIST")
            let unknownRun = try await client.upload(
                owner.token, "\(Self.root)/\(experiment)/\(UUID().uuidString.lowercased())/artifacts/x", [1])
            #expect(unknownRun.body["error_code"] == "RESOURCE_DOES_NOT_EXIST")
            let (_, otherExperiment) = try await client.projectAndExperiment(owner.token, project: "other")
            let wrongExperiment = try await client.download(
                owner.token, "\(Self.root)/\(otherExperiment)/\(run)/artifacts/a.txt")
            #expect(wrongExperiment.status == .notFound)
            let traversal = try await client.upload(owner.token, "\(base)/a/%2E%2E/%2E%2E/x", [1])
            #expect(traversal.status == .badRequest && traversal.body["error_code"] == "INVALID_PARAMETER_VALUE")
        }
    }

    @Test("a multipart upload takes parts in parallel and out of order, then joins them into the run's file")
    func multipartUpload() async throws {
        let owner = try await newUser()
        try await dataApp().test(.live) { client in
            let (_, experiment) = try await client.projectAndExperiment(owner.token)
            let run = try await client.newRun(owner.token, experiment: experiment)
            let partSize = 256 << 10  // any size is taken; small parts keep a loaded CI well inside the read timeout
            let content = FileTests.bytes(3 * partSize + 123_457, seed: 11)
            let created = try await client.call(
                .post, "/api/2.0/mlflow-artifacts/mpu/create/\(experiment)/\(run)/artifacts/checkpoints",
                token: owner.token, json: #"{"path": "/home/me/big.ckpt", "num_parts": 4}"#)
            #expect(created.status == .ok, "\(created.body)")
            let credentials = created.body["credentials"]?.arrayValue ?? []
            #expect(credentials.map { $0["part_number"] ?? .null } == [1, 2, 3, 4])
            #expect(credentials.allSatisfy { $0["headers"]?["Authorization"]?.text == "Bearer \(owner.token)" })

            // As MLflow's client does: each part PUT to its credential's URL with its headers.
            let etags = try await withThrowingTaskGroup(of: (Int, String).self) { group in
                for credential in credentials.reversed() {
                    let number = Int(credential["part_number"]?.intValue ?? 0)
                    let path = URLComponents(string: credential["url"]?.text ?? "")?.percentEncodedPath ?? ""
                    let bytes = Array(content[((number - 1) * partSize)..<min(number * partSize, content.count)])
                    group.addTask {
                        let sent = try await client.execute(
                            uri: path, method: .put, headers: [.authorization: "Bearer \(owner.token)"],
                            body: ByteBuffer(bytes: bytes)
                        ) { ($0.status, $0.headers[.eTag] ?? "") }
                        #expect(sent.0 == .ok)
                        return (number, sent.1)
                    }
                }
                return try await group.reduce(into: [Int: String]()) { $0[$1.0] = $1.1 }
            }
            // ETags are quoted, as HTTP writes them; the client sends them back as they came.
            let parts = (1...4).map { number in
                let etag = (etags[number] ?? "").replacingOccurrences(of: "\"", with: "\\\"")
                return #"{"part_number": \#(number), "etag": "\#(etag)"}"#
            }
            let missing = try await client.call(
                .post, "/api/2.0/mlflow-artifacts/mpu/complete/\(experiment)/\(run)/artifacts/checkpoints",
                token: owner.token,
                json:
                    #"{"path": "big.ckpt", "upload_id": "\#(created.body["upload_id"]?.text ?? "")", "parts": [\#(parts[0]), {"part_number": 3}]}"#
            )
            #expect(missing.status == .badRequest)
            let completed = try await client.call(
                .post, "/api/2.0/mlflow-artifacts/mpu/complete/\(experiment)/\(run)/artifacts/checkpoints",
                token: owner.token,
                json:
                    #"{"path": "big.ckpt", "upload_id": "\#(created.body["upload_id"]?.text ?? "")", "parts": [\#(parts.joined(separator: ","))]}"#
            )
            #expect(completed.status == .ok, "\(completed.body)")
            let stored = try await client.download(
                owner.token, "\(Self.root)/\(experiment)/\(run)/artifacts/checkpoints/big.ckpt")
            #expect(stored.bytes.count == content.count && stored.bytes == content)
            #expect(
                try await client.call(.get, "/v1/uploads/\(created.body["upload_id"]?.text ?? "")", token: owner.token)
                    .status == .notFound)

            // Aborting frees what arrived.
            let abandoned = try await client.call(
                .post, "/api/2.0/mlflow-artifacts/mpu/create/\(experiment)/\(run)/artifacts", token: owner.token,
                json: #"{"path": "other.bin", "num_parts": 2}"#)
            let url = abandoned.body["credentials"]?.arrayValue?.first?["url"]?.text ?? ""
            #expect(
                try await client.upload(owner.token, URLComponents(string: url)?.percentEncodedPath ?? "", [1, 2, 3])
                    .status == .ok)
            let aborted = try await client.call(
                .post, "/api/2.0/mlflow-artifacts/mpu/abort/\(experiment)/\(run)/artifacts", token: owner.token,
                json: #"{"path": "other.bin", "upload_id": "\#(abandoned.body["upload_id"]?.text ?? "")"}"#)
            #expect(aborted.status == .ok)
            #expect(
                try await client.call(
                    .get, "/v1/uploads/\(abandoned.body["upload_id"]?.text ?? "")", token: owner.token
                ).status == .notFound)
        }
    }

    @Test("server-info offers no multipart (one stream is faster); presigned downloads point at the artifact")
    func capabilities() async throws {
        let owner = try await newUser()
        try await dataApp().test(.router) { client in
            let info = try await client.call(.get, "/api/3.0/mlflow/server-info", token: owner.token)
            #expect(info.status == .ok && info.body["multipart_uploads_enabled"] == false)
            #expect(info.body["multipart_downloads_enabled"] == false)
            let (project, experiment) = try await client.projectAndExperiment(owner.token)
            #expect(
                try await client.call(.get, "/mlflow/\(project)/api/3.0/mlflow/server-info", token: owner.token).status
                    == .ok)
            let run = try await client.newRun(owner.token, experiment: experiment)
            let content = FileTests.bytes(10_000)
            #expect(
                try await client.upload(owner.token, "\(Self.root)/\(experiment)/\(run)/artifacts/f.bin", content)
                    .status == .ok)
            let presigned = try await client.call(
                .get, "/api/2.0/mlflow-artifacts/presigned/\(experiment)/\(run)/artifacts/f.bin", token: owner.token)
            #expect(presigned.body["file_size"] == 10_000)
            let url = URLComponents(string: presigned.body["url"]?.text ?? "")
            #expect(url?.path == "\(Self.root)/\(experiment)/\(run)/artifacts/f.bin")
            #expect(presigned.body["headers"]?["Authorization"]?.text == "Bearer \(owner.token)")
            let ranged = try await client.download(owner.token, url?.path ?? "", range: "bytes=100-")
            #expect(ranged.bytes == Array(content[100...]))
        }
    }

    /// `name:size` for files and `name/` for folders, sorted.
    static func listing(_ body: JSONValue) -> [String] {
        (body["files"]?.arrayValue ?? []).map { entry in
            entry["is_dir"] == true
                ? "\(entry["path"]?.text ?? "")/" : "\(entry["path"]?.text ?? ""):\(entry["file_size"]?.intValue ?? -1)"
        }.sorted()
    }

    static func errorCode(_ bytes: [UInt8]) -> String {
        (try? JSONValue.parse(String(decoding: bytes, as: UTF8.self)))?["error_code"]?.text ?? ""
    }
}
