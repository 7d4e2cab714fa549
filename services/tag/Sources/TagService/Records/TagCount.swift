import Platform

/// How many entities of one kind in a project carry one tag (`tag_counts`, id
/// `<project>:<kind>:<tag>`), kept in the same batch as the tags so counting is one read.
struct TagCounter: Codable, Sendable {
    let id: String
    let projectId: String
    let kind: EntityKind
    let key: String
    var value: String?
    let tag: String
    var count: Int64

    static func id(projectID: String, kind: EntityKind, tag: Tag) -> String {
        "\(projectID):\(kind.rawValue):\(tag.text)"
    }
}

/// `GET /v1/projects/{id}/tags`: a tag and how many entities of the project carry it.
struct TagCount: Codable, Sendable {
    let tag: String
    let key: String
    let value: String?
    let count: Int64
}
