import Platform

/// The body of `PATCH /v1/projects/{id}`: a new name or description (editors), and how long
/// the project's trash keeps what is put in it (owners, since it decides when things are
/// purged for good): `trashRetentionDays` from 1 to 3650, or null for the platform's default
/// (`mlex.data.trashRetentionDays`).
struct ProjectChange: Decodable {
    let name: String?
    let description: String?
    let trashRetentionDays: Presence<Int>

    static let retentionDays = 1...3650

    static let schema = Schema.object([
        "name": Schema.string, "description": Schema.string,
        "trashRetentionDays": [
            "type": ["integer", "null"], "minimum": 1, "maximum": 3650,
            "description":
                "days something stays in the project's trash before it is purged; null: the platform's default",
        ],
    ])

    var changesRetention: Bool { trashRetentionDays != .absent }

    /// `project` with the changes checked and made, or nil when the body changes nothing.
    func applied(to project: Project) throws -> Project? {
        var changed = try NamedChange(name: name, description: description).applied(to: project) ?? project
        switch trashRetentionDays {
        case .absent:
            break
        case .null:
            changed.trashRetentionDays = nil
        case .present(let days):
            guard Self.retentionDays.contains(days) else {
                throw APIError.invalidField(
                    "trashRetentionDays",
                    "trashRetentionDays is from 1 to 3650 days, or null for the platform's default")
            }
            changed.trashRetentionDays = days
        }
        return changed == project ? nil : changed
    }
}
