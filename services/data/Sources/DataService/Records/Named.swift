import Platform

/// Records with a name and a description that users change (projects, experiments).
protocol NamedRecord {
    var name: String { get set }
    var description: String { get set }
}

/// The body that creates something with a name and a description (projects, experiments,
/// datasets).
struct NamedCreation: Decodable {
    let name: String
    let description: String?

    static let schema = Schema.object(["name": Schema.string, "description": Schema.string], required: ["name"])

    /// The name trimmed and the description ("" when absent), each checked (400 naming it).
    func validated() throws -> (name: String, description: String) {
        (try Validate.name(name), try Validate.description(description))
    }
}

/// The body that renames something or changes its description.
struct NamedChange: Decodable {
    let name: String?
    let description: String?

    static let schema = Schema.object(["name": Schema.string, "description": Schema.string])

    /// `record` with the changes checked and made, or nil when the body changes nothing.
    func applied<Record: NamedRecord>(to record: Record) throws -> Record? {
        guard name != nil || description != nil else { return nil }
        var changed = record
        if let name { changed.name = try Validate.name(name) }
        if let description { changed.description = try Validate.description(description) }
        return changed
    }
}
