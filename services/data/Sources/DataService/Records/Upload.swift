import Blobs
import Platform
import Store

/// A resumable upload of one file (`uploads`), S3's multipart shape: numbered parts of
/// `partSize` bytes (`UploadPart`), the last one shorter, joined into the file on completion.
struct Upload: StoredRecord, Equatable {
    let id: String
    /// Where the file goes: its owner's key (`FileOwner.key`) and path.
    let owner: String
    let path: String
    let partSize: Int64
    /// What the client declared the whole file to be, checked on completion.
    let size: Int64?
    let sha256: String?
    let createdBy: String
    let createdAt: String
    // What contains the owner (`FileContainers`).
    let projectId: String
    let experimentId: String?
    let runId: String?
    let datasetId: String?
    let datasetVersionId: String?

    var containers: FileContainers {
        FileContainers(
            projectId: projectId, experimentId: experimentId, runId: runId, datasetId: datasetId,
            datasetVersionId: datasetVersionId)
    }

    /// Parts `1…n` with no gap, all but the last of `partSize` bytes, as many bytes as declared
    /// (409 naming what is wrong).
    func checkComplete(_ parts: [UploadPart]) throws {
        for (index, part) in parts.enumerated() {
            guard part.number == Int64(index + 1) else {
                throw APIError.conflict("part \(index + 1) is missing", code: "parts_missing", field: "parts")
            }
            if index < parts.count - 1, part.size != partSize {
                throw APIError.conflict(
                    "part \(index + 1) has \(part.size) bytes; every part but the last has \(partSize)",
                    code: "part_size", field: "parts")
            }
        }
        let total = parts.reduce(Int64(0)) { $0 + $1.size }
        if let size, size != total {
            throw APIError.conflict(
                "the parts hold \(total) bytes; the upload declared \(size)", code: "size_mismatch", field: "size")
        }
    }

    /// As clients see it: with the parts received so far.
    func view(parts: [UploadPart]) throws -> JSONValue {
        var view = try document()
        view["parts"] = .array(
            parts.map { ["number": .int($0.number), "size": .int($0.size), "sha256": .string($0.blobId)] })
        view["receivedBytes"] = .int(parts.reduce(Int64(0)) { $0 + $1.size })
        return view
    }
}

/// Part `number` of an upload (`upload_parts`, id `<uploadId>:<number, 5 digits>`).
struct UploadPart: StoredRecord, Equatable {
    let id: String
    let uploadId: String
    let number: Int64
    let blobId: String
    let size: Int64
    // What contains the upload's owner (`FileContainers`).
    let projectId: String
    let experimentId: String?
    let runId: String?
    let datasetId: String?
    let datasetVersionId: String?
}

extension UploadPart {
    init(_ number: Int, of upload: Upload, blob: BlobInfo) {
        self.init(
            id: Self.id(upload: upload.id, number: number), uploadId: upload.id, number: Int64(number), blobId: blob.id,
            size: blob.size,
            projectId: upload.projectId, experimentId: upload.experimentId, runId: upload.runId,
            datasetId: upload.datasetId, datasetVersionId: upload.datasetVersionId
        )
    }

    static func id(upload uploadID: String, number: Int) -> String { "\(uploadID):\(String(number).leftPadded(to: 5))" }
}

/// `POST /v1/uploads`: where the file goes and how it will be sent.
struct UploadCreation: Decodable {
    let runId: String?
    let projectId: String?
    let datasetVersionId: String?
    let path: String
    let size: Int64?
    let sha256: String?
    let partSize: Int64?

    /// S3's bounds, roughly: parts big enough to be few, small enough to resend cheaply.
    static let defaultPartSize: Int64 = 64 << 20
    static let partSizes: ClosedRange<Int64> = (1 << 20)...(1 << 30)
    static let maxParts = 10_000

    enum Target {
        case run(String)
        case project(String)
        case datasetVersion(String)
    }

    /// What the file goes to, checked first (exactly one id, each well-formed): whether the
    /// caller may write there comes before the rest.
    func target() throws -> Target {
        switch (
            try Validate.id(runId, field: "runId"), try Validate.id(projectId, field: "projectId"),
            try Validate.id(datasetVersionId, field: "datasetVersionId")
        ) {
        case (let run?, nil, nil): return .run(run)
        case (nil, let project?, nil): return .project(project)
        case (nil, nil, let version?): return .datasetVersion(version)
        default: throw APIError.invalidField("runId", "give one of runId, projectId or datasetVersionId")
        }
    }

    /// The upload as it is stored, after checking the rest (400 naming the first bad field).
    func upload(to owner: FileOwner, by userID: String, at now: String = Timestamp.now) throws -> Upload {
        let partSize = partSize ?? Self.defaultPartSize
        guard Self.partSizes.contains(partSize) else {
            throw APIError.invalidField(
                "partSize", "partSize is from \(Self.partSizes.lowerBound) to \(Self.partSizes.upperBound) bytes")
        }
        if let size, size < 0 || size > partSize * Int64(Self.maxParts) {
            throw APIError.invalidField(
                "size", "size is from 0 to \(partSize * Int64(Self.maxParts)) bytes with parts of \(partSize)")
        }
        if let sha256, sha256.count != 64 || !sha256.allSatisfy(\.isHexDigit) {
            throw APIError.invalidField("sha256", "sha256 is 64 hex digits")
        }
        let containers = owner.containers
        return Upload(
            id: ID.make(), owner: owner.key, path: try FilePath.normalise(path), partSize: partSize, size: size,
            sha256: sha256?.lowercased(),
            createdBy: userID, createdAt: now, projectId: containers.projectId, experimentId: containers.experimentId,
            runId: containers.runId,
            datasetId: containers.datasetId, datasetVersionId: containers.datasetVersionId
        )
    }
}
