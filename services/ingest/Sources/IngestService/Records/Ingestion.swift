import Platform

/// One package received (`ingestions`), as the API and the `mlex.ingest.<kind>.ingested|rejected`
/// events show it and the store keeps it: received → validating → accepted | rejected, with the
/// time of each stage, the reasons of a rejection, and what an accepted package became.
struct Ingestion: Codable, Sendable {
    enum Kind: String, Codable, Sendable {
        case model, dataset
    }

    enum State: String, Codable, Sendable, CaseIterable {
        case received, validating, accepted, rejected
    }

    struct Transition: Codable, Sendable {
        let state: State
        let at: String
    }

    let id: String
    let kind: Kind
    let projectId: String
    var state: State
    /// The package's SHA-256: the same package sent again is the same ingestion.
    let digest: String
    let size: Int64
    let submittedBy: String
    var transitions: [Transition]
    var reasons: [Reason]
    let createdAt: String
    var updatedAt: String

    // An accepted model package (`Acceptance.model`).
    /// model.json as the package had it.
    var card: JSONValue?
    /// The model's or the dataset's name.
    var name: String?
    var version: String?
    var filesPrefix: String?
    var packagePath: String?

    // An accepted dataset package (`Acceptance.dataset`).
    var datasetId: String?
    var datasetVersionId: String?
    var versionNumber: Int64?
    var fileCount: Int?
}

extension Ingestion {
    /// A package just received, its stage the first.
    init(kind: Kind, projectID: String, digest: String, size: Int64, by actor: String, at now: String) {
        self.init(
            id: ID.make(), kind: kind, projectId: projectID, state: .received, digest: digest, size: size,
            submittedBy: actor,
            transitions: [Transition(state: .received, at: now)], reasons: [], createdAt: now, updatedAt: now
        )
    }
}

/// What an accepted package adds to its ingestion.
enum Acceptance: Sendable {
    /// Its files under `filesPrefix` of the project, the package itself at `packagePath` (a
    /// deploy's code package).
    case model(card: JSONValue, name: String, version: String, filesPrefix: String, packagePath: String)
    /// Its files as a new, final version of the project's dataset `name`.
    case dataset(name: String, datasetId: String, datasetVersionId: String, versionNumber: Int64?, fileCount: Int)

    func record(in ingestion: inout Ingestion) {
        switch self {
        case .model(let card, let name, let version, let filesPrefix, let packagePath):
            ingestion.card = card
            ingestion.name = name
            ingestion.version = version
            ingestion.filesPrefix = filesPrefix
            ingestion.packagePath = packagePath
        case .dataset(let name, let datasetId, let datasetVersionId, let versionNumber, let fileCount):
            ingestion.name = name
            ingestion.datasetId = datasetId
            ingestion.datasetVersionId = datasetVersionId
            ingestion.versionNumber = versionNumber
            ingestion.fileCount = fileCount
        }
    }
}
