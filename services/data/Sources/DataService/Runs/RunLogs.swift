import Foundation
import Platform
import Store

/// A run's log entries (LDM): timestamped lines with a level, appended in batches and read back
/// in the order they arrived. Each entry is a document whose UUIDv7 id gives that order, so a
/// page is one index range on (runId, id) whatever the log's length.
struct RunLogs: Sendable {
    enum Level: String, Codable, Sendable, CaseIterable {
        case debug, info, warning, error
    }

    struct Entry: Decodable {
        let time: String?
        let level: Level?
        let message: String
    }

    static let maxEntriesPerRequest = 10_000
    static let maxMessageBytes = 64 * 1024

    let store: any DocumentStore

    /// Checks every entry first (a bad one is a 400 naming it and nothing is stored), then
    /// stores them all in one batch.
    func append(_ entries: [Entry], to run: JSONValue) async throws -> Int {
        guard entries.count <= Self.maxEntriesPerRequest else {
            throw APIError.invalidField("entries", "at most \(Self.maxEntriesPerRequest) entries per request")
        }
        let now = Date()
        var documents: [WriteOperation] = []
        documents.reserveCapacity(entries.count)
        for (index, entry) in entries.enumerated() {
            guard entry.message.utf8.count <= Self.maxMessageBytes else {
                throw APIError.invalidField("entries.\(index).message", "a message has at most \(Self.maxMessageBytes) bytes")
            }
            let time = try entry.time.map { try Validate.time($0, field: "entries.\(index).time") } ?? Timestamp.format(now)
            documents.append(.insert([
                "id": .string(ID.make()), "runId": run["id"]!, "experimentId": run["experimentId"]!, "projectId": run["projectId"]!,
                "time": .string(time), "level": .string((entry.level ?? .info).rawValue), "message": .string(entry.message),
            ], into: "run_logs"))
        }
        if !documents.isEmpty { try await store.batch(documents) }
        return documents.count
    }

    /// Entries after `after` (an entry id) in arrival order, at or above `level`.
    func entries(of runID: String, minimum level: Level?, limit: Int, after: String?) async throws -> [JSONValue] {
        var filter: JSONValue = ["runId": .string(runID)]
        if let level, level != .debug {
            let levels = Level.allCases.drop(while: { $0 != level }).map { JSONValue.string($0.rawValue) }
            filter["level"] = ["$in": .array(Array(levels))]
        }
        return try await store.find("run_logs", Query(filter: filter, sort: [.ascending("id")], limit: limit, after: after.map { ["id": .string($0)] }))
    }

    static func view(_ entry: JSONValue) -> JSONValue {
        guard case .object(var members) = entry else { return entry }
        for hidden in ["runId", "experimentId", "projectId"] { members.removeValue(forKey: hidden) }
        return .object(members)
    }
}
