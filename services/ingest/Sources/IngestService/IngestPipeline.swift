import Auth
import DataClient
import Foundation
import Hummingbird
import Logging
import Platform

/// Runs one package through its stages: received (staged on disk, its SHA-256 taken) →
/// validating (unpacked, checked: card, files, sizes, checksums) → accepted (its files stored
/// through the data service, the only writer of blobs) or rejected (reasons a person can act
/// on). Nothing of a rejected package stays in data: files stored before a failure are removed.
struct IngestPipeline: Sendable {
    let ingestions: Ingestions
    let data: DataClient
    let staging: URL
    let settings: IngestSettings
    let logger: Logger
    /// Makes "is this package already here?" and "record it" one step, so two identical
    /// packages sent at once become one ingestion.
    let intake = AsyncLock()

    /// What an ingestion of one kind does once its package is unpacked: checks it, then stores
    /// it; what the accepted ingestion records of it.
    typealias Store =
        @Sendable (_ ingestion: Ingestion, _ files: [String: URL], _ package: PackageArchive) async throws -> Checked<
            Acceptance
        >

    /// The ingestion (201 when new and accepted, 200 for a package already ingested, 422 with
    /// its reasons when rejected).
    func ingest(
        kind: Ingestion.Kind, projectID: String, body: RequestBody, by actor: String, store: Store
    ) async throws -> JSONResponse<JSONValue> {
        let package = try await PackageArchive.receive(
            body, to: staging.appendingPathComponent("\(ID.make()).pkg"), limit: settings.maxPackageBytes)
        defer { try? FileManager.default.removeItem(at: package.file) }
        let (found, created) = try await intake.withLock { () -> (Ingestion?, Ingestion?) in
            if let existing = try await ingestions.existing(kind: kind, projectID: projectID, digest: package.digest) {
                return (existing, nil)
            }
            return (nil, try await ingestions.create(kind: kind, projectID: projectID, package: package, by: actor))
        }
        if let found { return JSONResponse(try JSONValue(encoding: found), status: .ok) }
        guard var ingestion = created else {
            throw APIError(.internalServerError, code: "ingestion_lost", message: "the ingestion was not recorded")
        }
        ingestion = try await ingestions.move(ingestion, to: .validating)
        let unpacked = staging.appendingPathComponent(ingestion.id, isDirectory: true)
        defer { try? FileManager.default.removeItem(at: unpacked) }
        let outcome: Checked<Acceptance>
        switch await package.unpack(
            into: unpacked, limits: settings.unpackLimits(kind: kind.rawValue, packageBytes: package.size))
        {
        case .failed(let reasons):
            outcome = .failed(reasons)
        case .passed(let files):
            do {
                outcome = try await store(ingestion, files, package)
            } catch {
                logger.error(
                    "ingestion failed while storing", metadata: ["ingestion": "\(ingestion.id)", "error": "\(error)"])
                outcome = .failed([
                    Reason(
                        field: nil, file: nil,
                        message: "storing the package failed (\(error)); nothing of it was kept, send it again")
                ])
            }
        }
        switch outcome {
        case .passed(let acceptance):
            let accepted = try await ingestions.move(ingestion, to: .accepted) { acceptance.record(in: &$0) }
            return JSONResponse(try JSONValue(encoding: accepted), status: .created)
        case .failed(let reasons):
            let rejected = try await ingestions.move(ingestion, to: .rejected) { $0.reasons = reasons.list }
            return JSONResponse(try JSONValue(encoding: rejected), status: .unprocessableContent)
        }
    }

    /// Stores `files` under `prefix` of `owner` in data; on any failure removes what it stored.
    func upload(_ files: [(path: String, url: URL)], to owner: DataClient.FileOwner, prefix: String) async throws {
        var stored: [String] = []
        do {
            for file in files {
                try await data.upload(file.url, to: owner, path: prefix + file.path)
                stored.append(prefix + file.path)
            }
        } catch {
            for path in stored { try? await data.deleteFile(of: owner, path: path) }
            throw error
        }
    }
}
