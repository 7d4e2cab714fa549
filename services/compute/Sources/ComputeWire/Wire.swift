import Foundation
import Wire

// What compute and its agents say to each other over HTTP (services/compute only): the agent
// registers its node, long-polls for instructions, heartbeats usage and reports each job.

/// What a job asks for; what a node offers is `NodeCapacity`.
public struct Resources: Codable, Sendable, Equatable {
    public var cpus: Double
    public var memoryMB: Int
    public var gpus: Int
    /// What /job, /output and /tmp may hold together, in MB. Every job compute resolves has
    /// one; nil in a template's defaults that name none (compute's `defaultDiskMb` applies)
    /// and in jobs submitted before jobs had disks (the agent's default applies).
    public var diskMB: Int?

    public init(cpus: Double, memoryMB: Int, gpus: Int, diskMB: Int? = nil) {
        self.cpus = cpus
        self.memoryMB = memoryMB
        self.gpus = gpus
        self.diskMB = diskMB
    }
}

public struct NodeCapacity: Codable, Sendable, Equatable {
    public var cpus: Double
    public var memoryMB: Int
    /// Device ids; each is given to one job at a time.
    public var gpus: [String]
    /// The largest disk a job may have here (not reserved per job: job disks are sparse);
    /// nil from agents that predate job disks.
    public var diskMB: Int?

    public init(cpus: Double, memoryMB: Int, gpus: [String], diskMB: Int? = nil) {
        self.cpus = cpus
        self.memoryMB = memoryMB
        self.gpus = gpus
        self.diskMB = diskMB
    }
}

/// Executors that run a job in its container image; the others (local) run the host's own
/// system, so image jobs and host jobs go to different nodes.
public enum ImageExecutors {
    public static let kinds: Set<String> = ["docker"]

    public static func runsImages(_ executor: String) -> Bool { kinds.contains(executor) }
}

/// `PUT /v1/nodes/{id}`: an agent announcing itself (again, after a restart).
public struct NodeRegistration: Codable, Sendable {
    public var name: String
    public var executor: String
    public var queues: [String]
    public var capacity: NodeCapacity
    /// Where compute reaches the agent to forward requests to its jobs' endpoints
    /// (`http://host:8090`); nil: the agent takes no endpoint requests.
    public var endpointURL: String?

    public init(
        name: String, executor: String, queues: [String], capacity: NodeCapacity, endpointURL: String? = nil
    ) {
        self.name = name
        self.executor = executor
        self.queues = queues
        self.capacity = capacity
        self.endpointURL = endpointURL
    }
}

/// A job handed to a node: everything the agent needs to run it.
public struct Assignment: Codable, Sendable {
    public var jobId: String
    public var runId: String
    public var projectId: String
    public var attempt: Int
    /// argv run in the sandbox, cwd the unpacked code package (/job).
    public var command: [String]
    public var environment: [String: String]
    public var params: [String: JSONValue]
    /// A path among the project's files in data: a tar (or tar.gz) of the code.
    public var codePackage: String?
    /// Dataset version ids, mounted read-only under /data.
    public var inputs: [String]
    public var resources: Resources
    public var gpuIds: [String]
    public var timeoutSeconds: Int?
    public var cancelRequested: Bool
    /// The container image it runs in; nil: the host's own system (the local executor).
    public var image: String?
    /// How many workers run the command together (distributed training); `resources` are per
    /// worker. Absent from assignments made before multi-worker jobs: 1.
    public var workers: Int
    /// Set when the job serves an endpoint: the secret compute sends with every request it
    /// forwards to the job, so the agent answers compute alone (docs/endpoints.md).
    public var endpointKey: String?
    /// What the endpoint speaks (`http`, or `terminal`: the agent provides the session's program).
    public var endpointKind: String?

    public init(
        jobId: String, runId: String, projectId: String, attempt: Int, command: [String], environment: [String: String],
        params: [String: JSONValue],
        codePackage: String?, inputs: [String], resources: Resources, gpuIds: [String], timeoutSeconds: Int?,
        cancelRequested: Bool, image: String? = nil, workers: Int = 1, endpointKey: String? = nil,
        endpointKind: String? = nil
    ) {
        self.jobId = jobId
        self.runId = runId
        self.projectId = projectId
        self.attempt = attempt
        self.command = command
        self.environment = environment
        self.params = params
        self.codePackage = codePackage
        self.inputs = inputs
        self.resources = resources
        self.gpuIds = gpuIds
        self.timeoutSeconds = timeoutSeconds
        self.cancelRequested = cancelRequested
        self.image = image
        self.workers = workers
        self.endpointKey = endpointKey
        self.endpointKind = endpointKind
    }

    private enum CodingKeys: String, CodingKey {
        case jobId, runId, projectId, attempt, command, environment, params, codePackage, inputs, resources, gpuIds
        case timeoutSeconds, cancelRequested, image, workers, endpointKey, endpointKind
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            jobId: try container.decode(String.self, forKey: .jobId),
            runId: try container.decode(String.self, forKey: .runId),
            projectId: try container.decode(String.self, forKey: .projectId),
            attempt: try container.decode(Int.self, forKey: .attempt),
            command: try container.decode([String].self, forKey: .command),
            environment: try container.decode([String: String].self, forKey: .environment),
            params: try container.decode([String: JSONValue].self, forKey: .params),
            codePackage: try container.decodeIfPresent(String.self, forKey: .codePackage),
            inputs: try container.decode([String].self, forKey: .inputs),
            resources: try container.decode(Resources.self, forKey: .resources),
            gpuIds: try container.decode([String].self, forKey: .gpuIds),
            timeoutSeconds: try container.decodeIfPresent(Int.self, forKey: .timeoutSeconds),
            cancelRequested: try container.decode(Bool.self, forKey: .cancelRequested),
            image: try container.decodeIfPresent(String.self, forKey: .image),
            workers: try container.decodeIfPresent(Int.self, forKey: .workers) ?? 1,
            endpointKey: try container.decodeIfPresent(String.self, forKey: .endpointKey),
            endpointKind: try container.decodeIfPresent(String.self, forKey: .endpointKind)
        )
    }
}

/// The answer to a registration: the jobs compute believes run on this node.
public struct RegistrationAnswer: Codable, Sendable {
    public var nodeId: String
    public var activeJobs: [Assignment]

    public init(nodeId: String, activeJobs: [Assignment]) {
        self.nodeId = nodeId
        self.activeJobs = activeJobs
    }
}

/// The answer to a long poll: new jobs to start and running ones to cancel.
public struct Instructions: Codable, Sendable {
    public var assignments: [Assignment]
    public var cancellations: [String]

    public init(assignments: [Assignment], cancellations: [String]) {
        self.assignments = assignments
        self.cancellations = cancellations
    }
}

/// Measured use of one job's cgroups (or a whole node's, summed).
public typealias Usage = ResourceUsage

public struct Heartbeat: Codable, Sendable {
    /// Per running job id.
    public var jobs: [String: Usage]

    public init(jobs: [String: Usage]) {
        self.jobs = jobs
    }
}

/// `POST /v1/nodes/{id}/jobs/{jobId}/report`: a state change, progress, or both.
public struct JobReport: Codable, Sendable {
    /// running, succeeded, failed, cancelled or timed_out.
    public var state: String?
    /// Why it ended: exit_code, oom_killed, disk_limit, signal, timeout, cancelled, start_failed, setup_failed…
    public var reason: String?
    public var message: String?
    public var exitCode: Int?
    public var progress: Double?
    public var progressMessage: String?
    public var usage: Usage?

    public init(
        state: String? = nil, reason: String? = nil, message: String? = nil, exitCode: Int? = nil,
        progress: Double? = nil, progressMessage: String? = nil, usage: Usage? = nil
    ) {
        self.state = state
        self.reason = reason
        self.message = message
        self.exitCode = exitCode
        self.progress = progress
        self.progressMessage = progressMessage
        self.usage = usage
    }
}

/// Where a job's outputs live among its run's files in data.
public enum JobOutputs {
    public static let prefix = "outputs/"
}

/// DDL's contract (a code package whose `main.py` has `main(dataset_dir, model_output_dir)`):
/// the command a job without its own command runs. dataset_dir is /data, model_output_dir /output.
public enum DDLContract {
    public static let command = [
        "/usr/bin/python3", "-c", "import sys; sys.path.insert(0, '/job'); import main; main.main('/data', '/output')",
    ]
    public static let entryFile = "main.py"
}
