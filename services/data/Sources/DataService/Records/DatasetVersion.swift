import Platform
import Store

/// A version of a dataset (`dataset_versions`), numbered 1, 2, … per dataset. It starts as a
/// draft that takes files and becomes immutable when finalized (ClearML's create → add files →
/// finalize): its files, their sizes and SHA-256s never change after that, so a run that names
/// it as an input names exactly the bytes it read.
struct DatasetVersion: TrashableRecord, Equatable {
    enum State: String, Codable, Sendable, CaseIterable {
        case draft, final
    }

    static let collection = "dataset_versions"
    static let entity = "dataset.version"

    let id: String
    let datasetId: String
    let projectId: String
    let number: Int64
    let description: String
    /// What the files hold, in whatever form the project uses (a JSON object).
    let schema: JSONValue?
    var state: State
    var lifecycle: Lifecycle
    let createdBy: String
    let createdAt: String
    var updatedAt: String?
    /// Set when it is finalized.
    var fileCount: Int64?
    var size: Int64?
    var finalizedAt: String?
    var trashedAt: Presence<String>

    var purgeScope: Purge.Scope { .datasetVersion(id) }

    func view() throws -> JSONValue { try document() }
}

extension DatasetVersion {
    /// A new draft, version `number` of `dataset`.
    init(
        number: Int64, of dataset: Dataset, description: String, schema: JSONValue?, createdBy: String,
        at now: String = Timestamp.now
    ) {
        self.init(
            id: ID.make(), datasetId: dataset.id, projectId: dataset.projectId, number: number,
            description: description, schema: schema,
            state: .draft, lifecycle: .active, createdBy: createdBy, createdAt: now, updatedAt: now,
            fileCount: nil, size: nil, finalizedAt: nil, trashedAt: .absent
        )
    }
}

/// `POST /v1/datasets/{id}/versions`: a new draft.
struct DatasetVersionCreation: Decodable {
    let description: String?
    let schema: JSONValue?

    /// The description ("" when absent) and the schema, each checked (400 naming it).
    func validated() throws -> (description: String, schema: JSONValue?) {
        if let schema, schema.objectValue == nil { throw APIError.invalidField("schema", "a schema is a JSON object") }
        return (try Validate.description(description), schema)
    }
}
