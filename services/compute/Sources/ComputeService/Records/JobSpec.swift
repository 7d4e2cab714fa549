import ComputeWire
import Foundation
import Platform

/// The body of `POST /v1/jobs`, checked field by field before anything is stored; kept in the
/// job as given, so a rerun resolves it again. Field names follow docs/design.md §4 (camelCase,
/// `memoryMB`, `timeoutSeconds`).
struct JobSpec: Codable, Sendable, Equatable {
    var projectId: String
    var name: String?
    /// A container image: runs on nodes whose executor runs images (the Docker executor).
    var image: String?
    /// A configuration template (`/v1/templates`): its image or host runtime, setup commands,
    /// default environment and resources, and the ranges the job's resources must stay in.
    var template: String?
    /// argv in the sandbox; without it the DDL contract applies: the code package's `main.py`
    /// is imported and `main(dataset_dir, model_output_dir)` called.
    var command: [String]?
    var codePackage: String?
    var inputs: [String]?
    var env: [String: String]?
    var params: [String: JSONValue]?
    var resources: ResourceRequest?
    var timeoutSeconds: Int?
    var priority: Int?
    var queue: String?
    /// Processes running `command` together on one node (distributed training: each gets
    /// WORLD_SIZE, RANK, LOCAL_RANK, MASTER_ADDR, MASTER_PORT); `resources` are each one's,
    /// except the disk, which they share. Default 1.
    var workers: Int?
    /// How many times a job lost with its node is queued again (0: it fails `node_lost`).
    var retries: Int?
    /// Asks the hub to make the job's outputs a new version of this model when the job succeeds
    /// (its run carries the tag `mlex.registerModel`; mlhub learns it from `run.finished`).
    var registerModel: ModelRegistration?
    /// The hub's model version this job deploys: mlhub counts it for the version's popularity.
    var modelVersionId: String?
    /// The job serves HTTP while it runs, on the Unix socket `$MLEX_ENDPOINT_SOCKET`, reached
    /// through the gateway at `/endpoints/{jobId}/` (docs/endpoints.md); or, of kind `terminal`,
    /// it is an interactive session: the platform's shell server instead of a command.
    var endpoint: Endpoint?

    struct ModelRegistration: Codable, Sendable, Equatable {
        var name: String
    }

    struct Endpoint: Codable, Sendable, Equatable {
        /// `http` (the default; WebSockets pass over it too): the job's own server; `terminal`:
        /// a shell over WebSockets (`TerminalSession`), the job runs no command of its own.
        var kind: String?
        /// A terminal session stops after this long with nothing typed or printed.
        var idleSeconds: Int?

        static let http = "http"
        static let kinds = [http, TerminalSession.kind]

        var isTerminal: Bool { kind == TerminalSession.kind }
    }

    /// The run tag mlhub looks for on a finished run (docs/design.md §2: hub registration by event).
    static let registerModelTag = "mlex.registerModel"
    static let defaultPriority = 50
    static let maxTimeoutSeconds = 30 * 86400
    /// The executors' `WorkerEnvironment.maxWorkers` (this module does not link the executors;
    /// the multi-worker tests check both agree).
    static let maxWorkers = 64

    /// What the spec asks for, the platform's defaults for what it leaves out; its disk only
    /// if it names one (the default is a setting, applied when the job is resolved).
    var effectiveResources: Resources {
        (resources ?? ResourceRequest()).resolved(over: ResourceRequest.platformDefaults)
    }
    var effectiveCommand: [String] {
        if let endpoint, endpoint.isTerminal {
            return TerminalSession.command(idleSeconds: endpoint.idleSeconds ?? TerminalSession.defaultIdleSeconds)
        }
        return command ?? DDLContract.command
    }
    var effectiveQueue: String { queue ?? QueueName.defaultQueue }
    var effectiveWorkers: Int { workers ?? 1 }

    /// Every rule a spec must meet regardless of nodes; throws 400 naming the first bad field.
    func validate() throws {
        let check = FieldRules.check
        guard ID.isValid(projectId) else { throw APIError.invalidField("projectId", "projectId is an id") }
        if let name { try check(!name.isEmpty && name.utf8.count <= 200, "name", "name is 1 to 200 bytes") }
        // First: what the endpoint is decides whether a command is wanted.
        if let endpoint { try validate(endpoint) }
        if let command {
            try check(!command.isEmpty && command.count <= 1000, "command", "command is 1 to 1000 arguments")
            for (index, argument) in command.enumerated() {
                try check(
                    !argument.contains("\0") && argument.utf8.count <= 65536, "command.\(index)",
                    "an argument has no NUL and at most 64 KiB")
            }
            try check(command.first?.isEmpty == false, "command.0", "the program is not empty")
        } else if endpoint?.isTerminal != true {
            try check(
                codePackage != nil, "command", "give a command, or a codePackage holding main.py (the DDL contract)")
        }
        if let codePackage {
            try check(
                !codePackage.isEmpty && codePackage.utf8.count <= 1024 && !codePackage.hasPrefix("/")
                    && !codePackage.contains("\0")
                    && !codePackage.split(separator: "/").contains(".."), "codePackage",
                "codePackage is a relative path among the project's files")
        }
        for (index, input) in (inputs ?? []).enumerated() {
            try check(ID.isValid(input), "inputs.\(index)", "each input is a dataset version id")
        }
        try check(
            (inputs ?? []).count <= 16 && Set(inputs ?? []).count == (inputs ?? []).count, "inputs",
            "at most 16 distinct dataset versions")
        try FieldRules.checkEnvironment(env ?? [:], field: "env")
        for key in (params ?? [:]).keys {
            try check(!key.isEmpty && key.utf8.count <= 250, "params.\(key)", "param names are 1 to 250 bytes")
        }
        try effectiveResources.validate(field: "resources")
        if let timeoutSeconds {
            try check(
                timeoutSeconds >= 1 && timeoutSeconds <= Self.maxTimeoutSeconds, "timeoutSeconds",
                "timeoutSeconds is 1 to \(Self.maxTimeoutSeconds)")
        }
        if let priority { try check((0...1000).contains(priority), "priority", "priority is 0 (lowest) to 1000") }
        if let image { try check(ImageReference.isValid(image), "image", ImageReference.rule) }
        if let template { try check(JobTemplate.isValidName(template), "template", JobTemplate.nameRule) }
        if let queue { try check(QueueName.isValid(queue), "queue", QueueName.rule) }
        if let workers {
            try check((1...Self.maxWorkers).contains(workers), "workers", "workers is 1 to \(Self.maxWorkers)")
        }
        if let retries { try check((0...10).contains(retries), "retries", "retries is 0 to 10") }
        if let modelVersionId { try check(ID.isValid(modelVersionId), "modelVersionId", "modelVersionId is an id") }
        if let name = registerModel?.name {
            try check(ModelName.isValid(name), "registerModel.name", ModelName.rule)
        }
    }
}

extension JobSpec {
    fileprivate func validate(_ endpoint: Endpoint) throws {
        let check = FieldRules.check
        try check(
            Endpoint.kinds.contains(endpoint.kind ?? Endpoint.http), "endpoint.kind",
            "endpoint.kind is one of \(Endpoint.kinds.joined(separator: ", "))")
        if let idleSeconds = endpoint.idleSeconds {
            let range = TerminalSession.idleSecondsRange
            try check(endpoint.isTerminal, "endpoint.idleSeconds", "idleSeconds is for terminal sessions")
            try check(
                range.contains(idleSeconds), "endpoint.idleSeconds",
                "idleSeconds is \(range.lowerBound) to \(range.upperBound)")
        }
        guard endpoint.isTerminal else { return }
        try check(
            command == nil, "command",
            "a terminal session runs the platform's shell: give no command (a codePackage is unpacked into /job)")
        try check(workers ?? 1 == 1, "workers", "a terminal session is one worker")
        try check(registerModel == nil, "registerModel", "a terminal session registers no model")
    }
}

/// The body of `POST /v1/jobs/{id}/rerun`: what to change of the old job's spec. Checked with
/// the spec it makes, like any submission.
struct JobRerun: Codable, Sendable {
    var params: [String: JSONValue]?
    var resources: ResourceRequest?
    var template: String?
    var timeoutSeconds: Int?
    var name: String?

    static let none = JobRerun()

    /// `spec` with these overrides: params and resources merged, the rest replaced.
    func applied(to spec: JobSpec) -> JobSpec {
        var spec = spec
        if let params { spec.params = (spec.params ?? [:]).merging(params) { $1 } }
        if let resources { spec.resources = resources.merged(over: spec.resources) }
        if let template {
            // Another template says what the job runs on: it replaces an image the old spec named.
            spec.template = template
            spec.image = nil
        }
        if let timeoutSeconds { spec.timeoutSeconds = timeoutSeconds }
        if let name { spec.name = name }
        return spec
    }
}
