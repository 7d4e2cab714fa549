import Platform

/// Where a version is in its life (MLflow's stages).
enum Stage: String, Codable, Sendable, CaseIterable {
    case none, staging, production, archived

    /// A stage a client names (in a body or the search query); 400 naming `stage` otherwise.
    static func named(_ text: String?) throws -> Stage {
        guard let text, let stage = Stage(rawValue: text) else {
            throw APIError.invalidField("stage", "stage is one of \(allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return stage
    }
}

/// `PUT /v1/models/{id}/versions/{version}/stage`: the stage to move to and whether the model's
/// other versions in it go to archived (MLflow's archive_existing_versions).
struct StageChange: Sendable {
    let stage: Stage
    let archiveOthers: Bool
}

extension StageChange: Decodable {
    private struct Body: Decodable {
        let stage: String?
        let archiveOthers: Bool?
    }

    init(from decoder: any Decoder) throws {
        let body = try Body(from: decoder)
        self.init(stage: try Stage.named(body.stage), archiveOthers: body.archiveOthers ?? false)
    }
}
