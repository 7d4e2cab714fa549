import Auth
import ComputeWire
import Foundation
import Platform
import Store

/// A job's life (docs/design.md §5): queued → scheduled → running → one of the four ends. A job lost
/// with its node may go back to queued when its spec allows another attempt.
enum JobState: String, Codable, Sendable, CaseIterable {
    case queued, scheduled, running, succeeded, failed, cancelled
    case timedOut = "timed_out"

    var isTerminal: Bool { [.succeeded, .failed, .cancelled, .timedOut].contains(self) }
    /// Holding a node's resources.
    var isActive: Bool { self == .scheduled || self == .running }

    /// Forward only; the one way back is a lost node's requeue (`requeue`), never a report.
    func canMove(to next: JobState) -> Bool {
        switch (self, next) {
        case (.queued, .scheduled), (.queued, .cancelled): true
        case (.scheduled, .running): true
        case (.scheduled, _), (.running, _): next.isTerminal
        default: false
        }
    }

    static let activeValues: JSONValue = ["$in": ["scheduled", "running"]]
}

/// A job as compute keeps it (`jobs`) and clients and events see it (docs/design.md §4, through
/// `view()`): what was asked, what it runs, where, how far it got, and each transition with
/// its time and reason.
struct JobRecord: CollectionRecord, Equatable {
    static let collection = "jobs"

    struct Transition: Codable, Sendable, Equatable {
        var state: JobState
        var at: String
        var reason: String?
    }

    var id: String
    var projectId: String
    var name: String
    var owner: String
    var runId: String
    var state: JobState
    var queue: String
    var priority: Int
    /// As submitted, so a rerun resolves its template again.
    var spec: JobSpec
    // What the job runs, its template applied: agents read these, not the spec.
    /// Each worker's; the node holds `workers` times as much (`footprint`), the disk once.
    var resources: Resources
    /// How many workers run `command` together; 1 for jobs stored before multi-worker jobs.
    var workers: Int
    var command: [String]
    /// Absent from jobs submitted before templates: their spec's own environment applies.
    var env: [String: String]?
    /// Top level, because the scheduler places image jobs only on nodes whose executor runs images.
    var image: String?
    var template: String?
    var attempt: Int
    var retries: Int
    var progress: Double
    var progressMessage: String?
    var cancelRequested: Bool
    var cancelledBy: String?
    var nodeId: String?
    var gpuIds: [String]
    /// The secret compute sends with the requests it forwards to the job's endpoint (when it has
    /// one); the agent holding the job answers no one else. Never in the job's view.
    var endpointKey: String?
    /// The latest heartbeat's or report's.
    var usage: Usage?
    var peakMemoryBytes: Int?
    var reason: String?
    var message: String?
    var exitCode: Int?
    var rerunOf: String?
    var createdAt: String
    var scheduledAt: String?
    var startedAt: String?
    var endedAt: String?
    var updatedAt: String
    var transitions: [Transition]

    /// A new queued job for a checked spec and what it resolved to (the run already exists in
    /// data).
    init(id: String, spec: JobSpec, resolved: ResolvedJob, owner: String, runID: String, rerunOf: String?) {
        let now = Timestamp.now
        self.id = id
        projectId = spec.projectId
        name = spec.name ?? "job-\(id.suffix(8))"
        self.owner = owner
        runId = runID
        state = .queued
        queue = spec.effectiveQueue
        priority = spec.priority ?? JobSpec.defaultPriority
        self.spec = spec
        resources = resolved.resources
        workers = spec.effectiveWorkers
        command = resolved.command
        env = resolved.environment
        image = resolved.image
        template = resolved.template
        attempt = 1
        retries = spec.retries ?? 0
        progress = 0
        cancelRequested = false
        gpuIds = []
        endpointKey = spec.endpoint == nil ? nil : Base64URL.randomToken()
        self.rerunOf = rerunOf
        createdAt = now
        updatedAt = now
        transitions = [Transition(state: .queued, at: now)]
    }

    /// Reads a stored job; one stored before multi-worker jobs has no `workers`: it ran one.
    init(document: JSONValue) throws {
        var document = document
        if document["workers"] == nil { document["workers"] = 1 }
        do {
            self = try document.decoded(as: Self.self)
        } catch let error as DecodingError {
            throw StoredDocumentError(record: Self.self, decoding: error)
        }
    }

    /// What all its workers hold of a node together.
    var footprint: Resources { resources.forWorkers(workers) }

    /// What the agent needs to run it.
    var assignment: Assignment {
        Assignment(
            jobId: id, runId: runId, projectId: projectId, attempt: attempt, command: command,
            environment: env ?? spec.env ?? [:], params: spec.params ?? [:], codePackage: spec.codePackage,
            inputs: spec.inputs ?? [],
            resources: resources, gpuIds: gpuIds, timeoutSeconds: spec.timeoutSeconds, cancelRequested: cancelRequested,
            image: image, workers: workers, endpointKey: endpointKey,
            endpointKind: endpointKey == nil ? nil : spec.endpoint?.kind ?? JobSpec.Endpoint.http
        )
    }

    /// Queued again after its node was lost: it had a node and has none now.
    var lostItsNode: Bool { nodeId == nil && attempt > 1 }

    /// The job as clients and events see it: its fields but the endpoint's key, the gateway
    /// path of its endpoint when it has one, and `"nodeId": null` once it lost its node (the
    /// wire has always said so; `Codable` writes a nil as no field at all).
    func view() throws -> JSONValue {
        view(of: try document())
    }

    /// `view()`, from this job's `document()`.
    func view(of document: JSONValue) -> JSONValue {
        var view = document
        if lostItsNode { view["nodeId"] = .null }
        if endpointKey != nil {
            view["endpointKey"] = nil
            view["endpointPath"] = .string(Self.endpointPath(id))
        }
        return view
    }

    /// Where users reach a job's endpoint: the gateway's path.
    static func endpointPath(_ id: String) -> String { "/endpoints/\(id)/" }
}

/// What a scheduled or running job holds, read straight from its document: the scheduler
/// reads every active job of a node at each claim, and every active job for quotas, and
/// needs a few fields of each, not a whole record with its spec and transitions.
struct JobAllocation: Sendable {
    var owner: String?
    var projectId: String?
    /// Absent from jobs stored before multi-worker jobs: 1.
    var workers: Int
    /// All its workers' together.
    var cpus: Double
    var memoryMB: Int
    /// All its workers' (each worker's GPUs times `workers`).
    var gpuIds: [String]
    /// When it began running (nil while scheduled), and the CPU-seconds measured so far: what
    /// it has used of a monthly quota before its end is accounted.
    var startedAt: Date?
    var cpuSeconds: Double

    init(document: JSONValue) {
        owner = document["owner"]?.stringValue
        projectId = document["projectId"]?.stringValue
        workers = Int(document["workers"]?.intValue ?? 1)
        cpus = (document["resources"]?["cpus"]?.numberValue ?? 0) * Double(workers)
        memoryMB = Int(document["resources"]?["memoryMB"]?.intValue ?? 0) * workers
        gpuIds = (document["gpuIds"]?.arrayValue ?? []).compactMap(\.stringValue)
        startedAt = document["startedAt"]?.stringValue.flatMap(Timestamp.parse)
        cpuSeconds = document["usage"]?["cpuSeconds"]?.numberValue ?? 0
    }
}
