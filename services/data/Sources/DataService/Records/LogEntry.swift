import Foundation
import Platform
import Store

/// A run's log line (`run_logs`). Its UUIDv7 id gives the order entries arrived in, so a page is
/// one index range on (runId, id) whatever the log's length. Converted by hand: a page holds
/// up to 5000 of them.
struct LogEntry: StoredRecord, Equatable {
    enum Level: String, Codable, Sendable, CaseIterable {
        case debug, info, warning, error
    }

    let id: String
    let runId: String
    let experimentId: String
    let projectId: String
    let time: String
    let level: Level
    let message: String
}

extension LogEntry {
    init(document: JSONValue) throws {
        let fields = try StoredFields(document, of: Self.self)
        self.init(
            id: try fields.string("id"), runId: try fields.string("runId"),
            experimentId: try fields.string("experimentId"),
            projectId: try fields.string("projectId"), time: try fields.string("time"),
            level: try fields.value("level"),
            message: try fields.string("message")
        )
    }

    func document() -> JSONValue {
        var document = view()
        document["runId"] = .string(runId)
        document["experimentId"] = .string(experimentId)
        document["projectId"] = .string(projectId)
        return document
    }

    /// As clients see it: without the ids of what holds it.
    func view() -> JSONValue {
        ["id": .string(id), "time": .string(time), "level": .string(level.rawValue), "message": .string(message)]
    }
}

/// `POST /v1/runs/{id}/logs`: a batch of entries.
struct LogAppend: Decodable {
    struct Entry: Decodable {
        let time: String?
        let level: LogEntry.Level?
        let message: String
    }

    let entries: [Entry]

    static let maxEntries = 10_000
    static let maxMessageBytes = 64 * 1024

    /// The entries as stored for `run`, every one checked first (400 naming
    /// `entries.<i>.<field>`, and nothing stored); time defaults to `now`, level to info.
    func entries(of run: Run, at now: Date = Date()) throws -> [LogEntry] {
        guard entries.count <= Self.maxEntries else {
            throw APIError.invalidField("entries", "at most \(Self.maxEntries) entries per request")
        }
        let defaultTime = Timestamp.format(now)
        return try entries.enumerated().map { index, entry in
            guard entry.message.utf8.count <= Self.maxMessageBytes else {
                throw APIError.invalidField(
                    "entries.\(index).message", "a message has at most \(Self.maxMessageBytes) bytes")
            }
            return LogEntry(
                id: ID.make(), runId: run.id, experimentId: run.experimentId, projectId: run.projectId,
                time: try entry.time.map { try Validate.time($0, field: "entries.\(index).time") } ?? defaultTime,
                level: entry.level ?? .info, message: entry.message
            )
        }
    }
}
