import ComputeWire
import Foundation
import Platform

/// The body of `POST /v1/jobs`, checked field by field before anything is stored. Field names
/// follow DESIGN.md §4 (camelCase, `memoryMB`, `timeoutSeconds`).
struct JobSpec: Codable, Sendable {
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
    var workers: Int?
    /// How many times a job lost with its node is queued again (0: it fails `node_lost`).
    var retries: Int?
    /// Asks the hub to make the job's outputs a new version of this model when the job succeeds
    /// (its run carries the tag `mlex.registerModel`; mlhub learns it from `run.finished`).
    var registerModel: ModelRegistration?

    struct ModelRegistration: Codable, Sendable {
        var name: String
    }

    /// The hub's model version this job deploys: mlhub counts it for the version's popularity.
    var modelVersionId: String?

    /// The run tag mlhub looks for on a finished run (DESIGN.md §2: hub registration by event).
    static let registerModelTag = "mlex.registerModel"

    struct ResourceRequest: Codable, Sendable {
        var cpus: Double?
        var memoryMB: Int?
        var gpus: Int?
        /// What /job, /output and /tmp may hold together; default: the template's, else
        /// `mlex.compute.defaultDiskMb`.
        var diskMB: Int?
    }

    static let defaultResources = Resources(cpus: 1, memoryMB: 1024, gpus: 0)
    static let defaultQueue = "default"
    static let defaultPriority = 50
    static let maxTimeoutSeconds = 30 * 86400

    /// What the spec asks for, the platform's defaults for what it leaves out; its disk only
    /// if it names one (the default is a setting, applied when the job is resolved).
    var effectiveResources: Resources {
        Resources(
            cpus: resources?.cpus ?? Self.defaultResources.cpus, memoryMB: resources?.memoryMB ?? Self.defaultResources.memoryMB,
            gpus: resources?.gpus ?? Self.defaultResources.gpus, diskMB: resources?.diskMB
        )
    }
    var effectiveCommand: [String] { command ?? DDLContract.command }

    /// Every rule a spec must meet regardless of nodes; throws 400 naming the first bad field.
    func validate() throws {
        guard ID.isValid(projectId) else { throw APIError.invalidField("projectId", "projectId is an id") }
        if let name { try Self.check(!name.isEmpty && name.utf8.count <= 200, "name", "name is 1 to 200 bytes") }
        if let command {
            try Self.check(!command.isEmpty && command.count <= 1000, "command", "command is 1 to 1000 arguments")
            for (index, argument) in command.enumerated() {
                try Self.check(!argument.contains("\0") && argument.utf8.count <= 65536, "command.\(index)", "an argument has no NUL and at most 64 KiB")
            }
            try Self.check(!command[0].isEmpty, "command.0", "the program is not empty")
        } else {
            try Self.check(codePackage != nil, "command", "give a command, or a codePackage holding main.py (the DDL contract)")
        }
        if let codePackage {
            try Self.check(!codePackage.isEmpty && codePackage.utf8.count <= 1024 && !codePackage.hasPrefix("/") && !codePackage.contains("\0")
                && !codePackage.split(separator: "/").contains(".."), "codePackage", "codePackage is a relative path among the project's files")
        }
        for (index, input) in (inputs ?? []).enumerated() {
            try Self.check(ID.isValid(input), "inputs.\(index)", "each input is a dataset version id")
        }
        try Self.check((inputs ?? []).count <= 16 && Set(inputs ?? []).count == (inputs ?? []).count, "inputs", "at most 16 distinct dataset versions")
        try Self.checkEnvironment(env ?? [:], field: "env")
        for key in (params ?? [:]).keys {
            try Self.check(!key.isEmpty && key.utf8.count <= 250, "params.\(key)", "param names are 1 to 250 bytes")
        }
        try Self.checkResources(effectiveResources, field: "resources")
        if let timeoutSeconds { try Self.check(timeoutSeconds >= 1 && timeoutSeconds <= Self.maxTimeoutSeconds, "timeoutSeconds", "timeoutSeconds is 1 to \(Self.maxTimeoutSeconds)") }
        if let priority { try Self.check((0...1000).contains(priority), "priority", "priority is 0 (lowest) to 1000") }
        if let image { try Self.check(ImageReference.isValid(image), "image", ImageReference.rule) }
        if let template { try Self.check(JobTemplate.isValidName(template), "template", JobTemplate.nameRule) }
        if let queue { try Self.check(Self.isQueueName(queue), "queue", "a queue name is 1 to 64 of a-z, 0-9, - and _") }
        if let workers { try Self.check(workers >= 1, "workers", "workers is at least 1") }
        if let retries { try Self.check((0...10).contains(retries), "retries", "retries is 0 to 10") }
        if let modelVersionId { try Self.check(ID.isValid(modelVersionId), "modelVersionId", "modelVersionId is an id") }
        if let name = registerModel?.name {
            try Self.check(ModelName.isValid(name), "registerModel.name", ModelName.rule)
        }
    }

    static func check(_ condition: Bool, _ field: String, _ message: String) throws {
        if !condition { throw APIError.invalidField(field, message) }
    }

    /// The rules of every environment a job gets (its own, a template's): 400 naming `<field>.<name>`.
    static func checkEnvironment(_ env: [String: String], field: String) throws {
        for (key, value) in env {
            try check(isEnvironmentName(key), "\(field).\(key)", "environment names are letters, digits and _, not starting with a digit")
            try check(!key.hasPrefix("MLEX_"), "\(field).\(key)", "MLEX_ names are set by the platform")
            try check(!value.contains("\0") && value.utf8.count <= 65536, "\(field).\(key)", "a value has no NUL and at most 64 KiB")
        }
        try check(env.count <= 256, field, "at most 256 variables")
    }

    /// The bounds of any resource amount (a job's, a template's defaults): 400 naming `<field>.cpus` ….
    static func checkResources(_ resources: Resources, field: String) throws {
        try check(cpuBounds.contains(resources.cpus), "\(field).cpus", cpuRule)
        try check(memoryBounds.contains(resources.memoryMB), "\(field).memoryMB", "memoryMB is 16 to 16777216")
        try check(gpuBounds.contains(resources.gpus), "\(field).gpus", "gpus is 0 to 64")
        if let disk = resources.diskMB { try check(diskBounds.contains(disk), "\(field).diskMB", diskRule) }
    }

    /// A CFS quota below a hundredth of a CPU (1 ms per 100 ms period) does not limit a job so
    /// much as starve it, and lets a node be claimed by thousands of jobs.
    static let cpuBounds = 0.01...1024.0
    static let cpuRule = "cpus is 0.01 to 1024 (fractions allowed)"
    static let memoryBounds = 16...(16 << 20)
    static let gpuBounds = 0...64
    /// Below 16 MB ext4 has little room left for the job. (A host filesystem that cannot hold
    /// an image as large as asked, e.g. ext4 past 16 TB - 4 KB, fails the job's start saying so.)
    static let diskBounds = 16...(16 << 20)
    static let diskRule = "diskMB is 16 to 16777216"

    static func isEnvironmentName(_ name: String) -> Bool {
        guard let first = name.utf8.first, !(UInt8(ascii: "0")...UInt8(ascii: "9")).contains(first), name.utf8.count <= 256 else { return false }
        return name.utf8.allSatisfy { $0 == UInt8(ascii: "_") || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains($0) || (UInt8(ascii: "a")...UInt8(ascii: "z")).contains($0) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }
    }

    static func isQueueName(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.count <= 64 && name.utf8.allSatisfy { $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: "-") || (UInt8(ascii: "a")...UInt8(ascii: "z")).contains($0) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }
    }
}
