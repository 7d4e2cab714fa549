import Platform
import Store

/// A project (`projects`): what members, experiments, runs, datasets and files belong to.
struct Project: TrashableRecord, NamedRecord, Equatable {
    static let collection = "projects"
    static let entity = "project"

    let id: String
    var name: String
    var description: String
    var lifecycle: Lifecycle
    let createdBy: String
    let createdAt: String
    var updatedAt: String?
    var trashedAt: Presence<String>
    /// How many days what is trashed in this project stays before it is purged; nil: the
    /// platform's default (`mlex.data.trashRetentionDays`).
    var trashRetentionDays: Int? = nil

    var projectId: String { id }
    var purgeScope: Purge.Scope { .project(id) }
}

extension Project {
    /// A new, active project.
    init(name: String, description: String, createdBy: String, at now: String = Timestamp.now) {
        self.init(
            id: ID.make(), name: name, description: description, lifecycle: .active,
            createdBy: createdBy, createdAt: now, updatedAt: now, trashedAt: .absent
        )
    }

    /// As clients and events see it: `projectId` repeats the id, as every event of `mlex.data`
    /// carries one.
    func view() throws -> JSONValue {
        var view = try document()
        view["projectId"] = .string(id)
        return view
    }
}
