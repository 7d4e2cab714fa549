import Platform

/// One line of a model's audit log (`model_audit`): who did what and when.
struct AuditEntry: Codable, Sendable {
    enum Action: String, Codable, Sendable {
        case modelCreated = "model.created"
        case modelUpdated = "model.updated"
        case versionCreated = "version.created"
        case versionDeleted = "version.deleted"
        case stageChanged = "stage.changed"
        case aliasSet = "alias.set"
        case aliasMoved = "alias.moved"
        case aliasRemoved = "alias.removed"
    }

    let id: String
    let modelId: String
    let projectId: String
    let action: Action
    let actor: String
    let at: String
    /// The version's number, for what happened to a version.
    var version: Int64?
    /// What it was and became, shaped by the action: a stage (stage.changed), a version number
    /// (alias.*), the changed fields (model.updated, `to` only).
    var from: JSONValue?
    var to: JSONValue?
    var alias: String?
}

extension AuditEntry {
    /// An entry made now about the model `modelID` of `projectID`.
    init(
        _ action: Action, modelID: String, projectID: String, version: Int64? = nil, actor: String,
        from: JSONValue? = nil, to: JSONValue? = nil, alias: String? = nil
    ) {
        self.init(
            id: ID.make(), modelId: modelID, projectId: projectID, action: action, actor: actor, at: Timestamp.now,
            version: version, from: from, to: to, alias: alias
        )
    }
}
