import Platform
import Store

/// A run (`runs`): one execution inside an experiment. Its params (written once), tags and each
/// metric's latest value and summary live in the run under stored keys (`RunFields`), so search
/// filters and orders on any of them with an index. Converted by hand (`Run+Document.swift`).
struct Run: TrashableRecord, Equatable {
    static let collection = "runs"
    static let entity = "run"

    let id: String
    let projectId: String
    let experimentId: String
    var name: String
    var status: RunStatus
    var startTime: String
    /// Set when the status becomes terminal.
    var endTime: String?
    var createdBy: String
    /// Null for a run without a parent.
    var parentRunId: Presence<String>
    var source: RunSource?
    var params: RunFields
    var tags: RunFields
    /// Each key's latest value (greatest step, then timestamp).
    var metrics: RunFields
    /// Each key's `min`, `max`, `count` and latest `step` and `timestamp`.
    var metricSummaries: RunFields
    var lifecycle: Lifecycle
    var createdAt: String?
    var updatedAt: String?
    var trashedAt: Presence<String>
    /// A job's exit code, from compute's last event of the job.
    var exitCode: JSONValue?

    var purgeScope: Purge.Scope { .run(id) }
}

/// Where a run's code came from; `jobId` names the compute job that runs it.
struct RunSource: Codable, Sendable, Equatable {
    var codeVersion: String?
    var gitCommit: String?
    var gitRepository: String?
    var entryPoint: String?
    var jobId: String?

    static let maxLength = 500

    /// Each member at most `maxLength` characters (400 naming `source.<member>`).
    func validate() throws {
        for (key, value) in [
            ("codeVersion", codeVersion), ("gitCommit", gitCommit), ("gitRepository", gitRepository),
            ("entryPoint", entryPoint), ("jobId", jobId),
        ] {
            if let value, value.count > Self.maxLength {
                throw APIError.invalidField("source.\(key)", "at most \(Self.maxLength) characters")
            }
        }
    }
}

/// Params, tags or metrics of a run under the keys they are stored by (`FieldKey`), so reading
/// a run converts no key; `named` gives them as users wrote them.
struct RunFields: Codable, Sendable, Equatable {
    private(set) var stored: [String: JSONValue]

    init(stored: [String: JSONValue] = [:]) {
        self.stored = stored
    }

    init(named members: [String: JSONValue]) {
        stored = Dictionary(uniqueKeysWithValues: members.map { (FieldKey.encode($0.key), $0.value) })
    }

    subscript(name: String) -> JSONValue? {
        stored[FieldKey.encode(name)]
    }

    /// The members under the names users wrote.
    var named: JSONValue { FieldKey.decodeMembers(.object(stored)) }

    init(from decoder: any Decoder) throws {
        stored = try decoder.singleValueContainer().decode([String: JSONValue].self)
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(stored)
    }
}
