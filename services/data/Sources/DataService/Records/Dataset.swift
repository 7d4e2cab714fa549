import Platform
import Store

/// A dataset (`datasets`): a project's named series of immutable versions. Names are unique
/// per project compared case-insensitively, through the stored `nameKey`.
struct Dataset: TrashableRecord, Equatable {
    static let collection = "datasets"
    static let entity = "dataset"

    let id: String
    let projectId: String
    var name: String {
        didSet { nameKey = name.lowercased() }
    }
    private(set) var nameKey: String
    var description: String
    var lifecycle: Lifecycle
    /// The number of the last version made, so the next one is numbered after it.
    var versionCount: Int64
    let createdBy: String
    let createdAt: String
    var updatedAt: String?
    var trashedAt: Presence<String>

    var purgeScope: Purge.Scope { .dataset(id) }

    /// A new, active dataset without versions.
    init(name: String, description: String, in projectID: String, createdBy: String, at now: String = Timestamp.now) {
        id = ID.make()
        projectId = projectID
        self.name = name
        nameKey = name.lowercased()
        self.description = description
        lifecycle = .active
        versionCount = 0
        self.createdBy = createdBy
        createdAt = now
        updatedAt = now
        trashedAt = .absent
    }

    /// As clients and events see it: without the internal `nameKey`.
    func view() throws -> JSONValue {
        var view = try document()
        view["nameKey"] = nil
        return view
    }
}
