import ComputeWire
import Foundation
import Platform

/// A node as compute keeps it (`nodes`): what its agent announced, whether compute still hears
/// from it, and its last heartbeat with the usage it carried. Its events carry it whole.
struct NodeRecord: CollectionRecord {
    static let collection = "nodes"

    enum State: String, Codable, Sendable {
        case online, lost
    }

    var id: String
    var name: String
    var executor: String
    var queues: [String]
    var capacity: NodeCapacity
    /// Where compute forwards requests for this node's jobs' endpoints (the agent's own port).
    var endpointURL: String?
    var state: State
    var lastHeartbeat: String
    /// The last heartbeat in ms since 1970: what `NodeWatch` compares (indexed with `state`).
    var heartbeatAtMs: Int64
    var registeredAt: String
    var createdAt: String
    var usage: NodeUsage
    /// How many jobs the last heartbeat measured; none before the first.
    var runningJobs: Int?

    /// A node registering at `now`: online, heartbeating from now. `createdAt` stays that of
    /// its first registration.
    init(id: String, _ registration: NodeRegistration, at now: Date, createdAt: String?) {
        self.id = id
        name = registration.name
        executor = registration.executor
        queues = registration.queues
        capacity = registration.capacity
        endpointURL = registration.endpointURL
        state = .online
        lastHeartbeat = Timestamp.format(now)
        heartbeatAtMs = Self.milliseconds(now)
        registeredAt = lastHeartbeat
        self.createdAt = createdAt ?? registeredAt
        usage = NodeUsage(measured: nil)
    }

    var runsImages: Bool { ImageExecutors.runsImages(executor) }

    static func milliseconds(_ date: Date) -> Int64 { Int64(date.timeIntervalSince1970 * 1000) }
}

/// A node's usage summed over its jobs by its last heartbeat; `{}` on the wire before the first.
struct NodeUsage: Codable, Sendable {
    var measured: Usage?

    init(measured: Usage?) {
        self.measured = measured
    }

    init(from decoder: any Decoder) throws {
        let fields = try decoder.container(keyedBy: AnyField.self)
        measured = fields.allKeys.isEmpty ? nil : try Usage(from: decoder)
    }

    func encode(to encoder: any Encoder) throws {
        guard let measured else {
            _ = encoder.container(keyedBy: AnyField.self)
            return
        }
        try measured.encode(to: encoder)
    }

    private struct AnyField: CodingKey {
        let stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }
}

extension NodeRegistration {
    /// Every rule a registration meets; throws 400 naming the first bad field.
    func validate() throws {
        try FieldRules.check(!name.isEmpty && name.utf8.count <= 200, "name", "name is 1 to 200 bytes")
        try FieldRules.check(capacity.cpus > 0 && capacity.cpus.isFinite, "capacity.cpus", "cpus is above 0")
        try FieldRules.check(capacity.memoryMB > 0, "capacity.memoryMB", "memoryMB is above 0")
        if let disk = capacity.diskMB { try FieldRules.check(disk >= 0, "capacity.diskMB", "diskMB is 0 or more") }
        try FieldRules.check(Set(capacity.gpus).count == capacity.gpus.count, "capacity.gpus", "GPU ids are distinct")
        try FieldRules.check(
            !queues.isEmpty && queues.allSatisfy(QueueName.isValid), "queues", "one or more queue names")
        if let endpointURL {
            let url = URL(string: endpointURL)
            try FieldRules.check(
                endpointURL.utf8.count <= 2000 && ["http", "https"].contains(url?.scheme ?? "") && url?.host != nil,
                "endpointURL", "endpointURL is an http(s) URL of the agent")
        }
    }
}
