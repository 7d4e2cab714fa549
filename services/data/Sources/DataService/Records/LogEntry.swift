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
    /// Which worker of a multi-worker job printed it (0 is the first); nil for everything else.
    var rank: Int? = nil
}

extension LogEntry {
    init(document: JSONValue) throws {
        let fields = try StoredFields(document, of: Self.self)
        self.init(
            id: try fields.string("id"), runId: try fields.string("runId"),
            experimentId: try fields.string("experimentId"),
            projectId: try fields.string("projectId"), time: try fields.string("time"),
            level: try fields.value("level"),
            message: try fields.string("message"),
            rank: document["rank"]?.numberValue.map { Int($0) }
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
        var view: JSONValue = [
            "id": .string(id), "time": .string(time), "level": .string(level.rawValue), "message": .string(message),
        ]
        if let rank { view["rank"] = .int(Int64(rank)) }
        return view
    }
}

/// `POST /v1/runs/{id}/logs`: a batch of entries. A producer that may send a batch again after
/// a crash (a compute agent reading a job's log file) names itself as `source` and numbers
/// its entries with increasing `sequence` values (the agent: each line's byte offset in the
/// job's log); entries at or below the highest sequence already stored from that source are
/// skipped, so a repeated batch stores nothing twice (`RunLogs.append`).
struct LogAppend: Decodable {
    struct Entry: Decodable {
        let time: String?
        let level: LogEntry.Level?
        let message: String
        let sequence: Int64?
        let rank: Int?
    }

    let entries: [Entry]
    let source: String?

    static let maxEntries = 10_000
    static let maxMessageBytes = 64 * 1024
    static let maxRank = 1023

    /// The source's name, checked: it becomes part of a document id.
    func checkedSource() throws -> String? {
        guard let source else {
            if let index = entries.firstIndex(where: { $0.sequence != nil }) {
                throw APIError.invalidField("entries.\(index).sequence", "a sequence needs a source")
            }
            return nil
        }
        guard (1...100).contains(source.utf8.count),
            source.utf8.allSatisfy({ $0 < 0x80 && ($0 == 0x2D || $0 == 0x2E || $0 == 0x5F || isalnum(Int32($0)) != 0) })
        else {
            throw APIError.invalidField("source", "source is 1 to 100 of A-Z a-z 0-9 . _ -")
        }
        var previous: Int64?
        for (index, entry) in entries.enumerated() {
            guard let sequence = entry.sequence, sequence >= 0 else {
                throw APIError.invalidField(
                    "entries.\(index).sequence", "entries from a source have a sequence of 0 or more")
            }
            if let previous, sequence <= previous {
                throw APIError.invalidField(
                    "entries.\(index).sequence", "sequences increase within a batch (\(sequence) after \(previous))")
            }
            previous = sequence
        }
        return source
    }

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
            if let rank = entry.rank, !(0...Self.maxRank).contains(rank) {
                throw APIError.invalidField("entries.\(index).rank", "rank is 0 to \(Self.maxRank)")
            }
            return LogEntry(
                id: ID.make(), runId: run.id, experimentId: run.experimentId, projectId: run.projectId,
                time: try entry.time.map { try Validate.time($0, field: "entries.\(index).time") } ?? defaultTime,
                level: entry.level ?? .info, message: entry.message, rank: entry.rank
            )
        }
    }
}
