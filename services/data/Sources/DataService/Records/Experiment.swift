import Platform
import Store

/// An experiment (`experiments`): a project's named group of runs. Names are unique per project
/// compared case-insensitively, through the stored `nameKey`; as in MLflow, a trashed
/// experiment keeps its name until it is purged.
struct Experiment: TrashableRecord, NamedRecord, Equatable {
    static let collection = "experiments"
    static let entity = "experiment"

    let id: String
    let projectId: String
    var name: String {
        didSet { nameKey = name.lowercased() }
    }
    private(set) var nameKey: String
    var description: String
    var lifecycle: Lifecycle
    let createdBy: String
    let createdAt: String
    var updatedAt: String?
    var trashedAt: Presence<String>
    /// MLflow's experiment tags, in the order they were first set; absent on experiments that
    /// never had one (and on documents older than the field).
    var tags: [ExperimentTag]?

    var purgeScope: Purge.Scope { .experiment(id) }

    /// A new, active experiment.
    init(name: String, description: String, in projectID: String, createdBy: String, at now: String = Timestamp.now) {
        id = ID.make()
        projectId = projectID
        self.name = name
        nameKey = name.lowercased()
        self.description = description
        lifecycle = .active
        self.createdBy = createdBy
        createdAt = now
        updatedAt = now
        trashedAt = .absent
        tags = nil
    }

    /// As clients and events see it: without the internal `nameKey`.
    func view() throws -> JSONValue {
        var view = try document()
        view["nameKey"] = nil
        return view
    }
}

/// One tag of an experiment (MLflow's `ExperimentTag`).
struct ExperimentTag: Codable, Sendable, Equatable {
    let key: String
    var value: String
}
