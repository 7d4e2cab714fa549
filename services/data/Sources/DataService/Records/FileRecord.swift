import Blobs
import Platform
import Store

/// A file (`files`): the content-addressed blob at a path of its owner (a run, a project or a
/// dataset version), one per owner and path.
struct FileRecord: StoredRecord, Equatable {
    let id: String
    /// The owner's key (`FileOwner.key`), with the path unique per owner.
    let owner: String
    let path: String
    let blobId: String
    let size: Int64
    /// The content's SHA-256, which is also its blob's id.
    let sha256: String
    let createdBy: String
    let createdAt: String
    // What contains the owner (`FileContainers`).
    let projectId: String
    let experimentId: String?
    let runId: String?
    let datasetId: String?
    let datasetVersionId: String?

    /// As clients and events see it: the blob is an internal name.
    func view() throws -> JSONValue {
        var view = try document()
        view["blobId"] = nil
        return view
    }
}

extension FileRecord {
    /// `blob` as the file at `path` of `owner`.
    init(_ blob: BlobInfo, at path: String, in owner: FileOwner, by userID: String, at now: String = Timestamp.now) {
        let containers = owner.containers
        self.init(
            id: ID.make(), owner: owner.key, path: path, blobId: blob.id, size: blob.size, sha256: blob.id,
            createdBy: userID, createdAt: now,
            projectId: containers.projectId, experimentId: containers.experimentId, runId: containers.runId,
            datasetId: containers.datasetId, datasetVersionId: containers.datasetVersionId
        )
    }
}

/// The ids of what contains a file's owner, copied into every document the owner holds (its
/// files, uploads and their parts), so purging any container finds them with one filter.
struct FileContainers: Codable, Sendable, Equatable {
    var projectId: String
    var experimentId: String?
    var runId: String?
    var datasetId: String?
    var datasetVersionId: String?
}
