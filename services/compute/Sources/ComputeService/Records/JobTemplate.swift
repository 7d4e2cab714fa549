import ComputeWire
import Foundation
import Platform

/// A configuration template (DCloud's): a named environment jobs start from — a container image
/// or the node's own system, setup commands run before the job, default environment and
/// resources, and the ranges a job's resources must stay in. Global (admins manage it) or a
/// project's own (its owners do). The body of `POST`/`PUT /v1/templates` and of each seed file.
struct JobTemplate: Codable, Sendable {
    var name: String
    var description: String?
    /// The container image its jobs run in (on nodes whose executor runs images).
    var image: String?
    /// `host` instead of an image: the local executor's sandbox on the node's own system.
    var runtime: String?
    /// Shell commands run in order before the job's command, stopping at the first failure.
    var setup: [String]?
    /// Environment under the job's own (the job's values win).
    var env: [String: String]?
    /// What a job leaves out of `resources`; what the template leaves out, the platform's defaults.
    var defaultResources: ResourceRequest?
    var ranges: ResourceRanges?
    /// The project whose template it is; nil: global, usable by every project.
    var projectId: String?

    struct ResourceRanges: Codable, Sendable {
        var cpus: Bounds<Double>?
        var memoryMB: Bounds<Int>?
        var gpus: Bounds<Int>?
        var diskMB: Bounds<Int>?
    }

    /// An inclusive range; either end may be open.
    struct Bounds<Value: Codable & Sendable & Comparable>: Codable, Sendable {
        var min: Value?
        var max: Value?

        func contains(_ value: Value) -> Bool {
            min.map { value >= $0 } ?? true && max.map { value <= $0 } ?? true
        }

        var text: String {
            switch (min, max) {
            case (let low?, let high?): "\(low) to \(high)"
            case (let low?, nil): "at least \(low)"
            case (nil, let high?): "at most \(high)"
            case (nil, nil): "any"
            }
        }
    }

    static let hostRuntime = "host"
    static let nameRule = "a template name is 1 to 64 of a-z, 0-9, - and _"
    static let maxSetupCommands = 100

    /// Template names follow queue names: short, lowercase, safe in paths and on command lines.
    static func isValidName(_ name: String) -> Bool { QueueName.isValid(name) }

    /// The defaults a job gets from this template, the platform's where it says nothing. The
    /// disk stays nil unless the template names one: its platform default is a setting, applied
    /// when a job is resolved, so a change of the setting reaches every template.
    var resolvedDefaults: Resources {
        (defaultResources ?? ResourceRequest()).resolved(over: ResourceRequest.platformDefaults)
    }

    /// Every rule a template meets; throws 400 naming the first bad field. `defaultDiskMB` is
    /// the platform's, which a job gets when the template names no disk: it must be in `ranges`.
    func validate(defaultDiskMB: Int) throws {
        try FieldRules.check(Self.isValidName(name), "name", Self.nameRule)
        if let description {
            try FieldRules.check(description.utf8.count <= 2000, "description", "description is at most 2000 bytes")
        }
        switch (image, runtime) {
        case (nil, nil):
            throw APIError.invalidField("image", "give an image, or runtime \"host\" to run on the node's own system")
        case (_?, _?): throw APIError.invalidField("runtime", "give an image or runtime \"host\", not both")
        case (let image?, nil): try FieldRules.check(ImageReference.isValid(image), "image", ImageReference.rule)
        case (nil, let runtime?):
            try FieldRules.check(
                runtime == Self.hostRuntime, "runtime",
                "runtime is \"host\" (the node's own system); for a container give image instead")
        }
        let setup = setup ?? []
        try FieldRules.check(
            setup.count <= Self.maxSetupCommands, "setup", "at most \(Self.maxSetupCommands) setup commands")
        for (index, command) in setup.enumerated() {
            try FieldRules.check(
                !command.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty && !command.contains("\0")
                    && command.utf8.count <= 65536,
                "setup.\(index)", "a setup command is a non-empty shell command line without NUL, at most 64 KiB")
        }
        try FieldRules.checkEnvironment(env ?? [:], field: "env")
        if let projectId { try FieldRules.check(ID.isValid(projectId), "projectId", "projectId is an id") }
        try checkRanges()
        let defaults = resolvedDefaults
        try defaults.validate(field: "defaultResources")
        try Self.within(ranges?.cpus, defaults.cpus, "defaultResources.cpus")
        try Self.within(ranges?.memoryMB, defaults.memoryMB, "defaultResources.memoryMB")
        try Self.within(ranges?.gpus, defaults.gpus, "defaultResources.gpus")
        try Self.within(ranges?.diskMB, defaults.diskMB ?? defaultDiskMB, "defaultResources.diskMB")
    }

    /// Each end inside what any job may ask for, and `min` not above `max`.
    private func checkRanges() throws {
        func check<Value>(_ bounds: Bounds<Value>?, _ field: String, _ allowed: (Value) -> Bool, _ rule: String) throws
        {
            guard let bounds else { return }
            if let low = bounds.min { try FieldRules.check(allowed(low), "ranges.\(field).min", rule) }
            if let high = bounds.max { try FieldRules.check(allowed(high), "ranges.\(field).max", rule) }
            if let low = bounds.min, let high = bounds.max {
                try FieldRules.check(low <= high, "ranges.\(field).min", "min is at most max")
            }
        }
        try check(ranges?.cpus, "cpus", { ResourceRequest.cpuBounds.contains($0) }, ResourceRequest.cpuRule)
        try check(
            ranges?.memoryMB, "memoryMB", { ResourceRequest.memoryBounds.contains($0) }, ResourceRequest.memoryRule)
        try check(ranges?.gpus, "gpus", { ResourceRequest.gpuBounds.contains($0) }, ResourceRequest.gpuRule)
        try check(ranges?.diskMB, "diskMB", { ResourceRequest.diskBounds.contains($0) }, ResourceRequest.diskRule)
    }

    /// 400 naming `field` unless `value` is in `bounds` (no bounds: anything).
    static func within<Value>(
        _ bounds: Bounds<Value>?, _ value: Value, _ field: String, of template: String? = nil
    ) throws {
        guard let bounds, !bounds.contains(value) else { return }
        let whose = template.map { "template \($0) allows" } ?? "the template's range allows"
        throw APIError.invalidField(
            field, "\(field.split(separator: ".").last ?? "") \(value) is outside what \(whose): \(bounds.text)")
    }
}

/// A template as compute keeps it (`templates`) and clients see it: the template with its
/// defaults resolved (readers see what a job gets), then who made it and when, side by side
/// in one object.
struct TemplateRecord: CollectionRecord {
    static let collection = "templates"

    var id: String
    var template: JobTemplate
    var createdBy: String
    var createdAt: String
    var updatedAt: String

    /// `template` as stored: its `defaultResources` are what a job gets.
    init(id: String, _ template: JobTemplate, createdBy: String, createdAt: String, updatedAt: String) {
        self.id = id
        var stored = template
        let defaults = template.resolvedDefaults
        stored.defaultResources = ResourceRequest(
            cpus: defaults.cpus, memoryMB: defaults.memoryMB, gpus: defaults.gpus, diskMB: defaults.diskMB)
        self.template = stored
        self.createdBy = createdBy
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }

    private enum Bookkeeping: String, CodingKey {
        case id, createdBy, createdAt, updatedAt
    }

    init(from decoder: any Decoder) throws {
        template = try JobTemplate(from: decoder)
        let fields = try decoder.container(keyedBy: Bookkeeping.self)
        id = try fields.decode(String.self, forKey: .id)
        createdBy = try fields.decode(String.self, forKey: .createdBy)
        createdAt = try fields.decode(String.self, forKey: .createdAt)
        updatedAt = try fields.decode(String.self, forKey: .updatedAt)
    }

    /// One object: the template's fields, then the bookkeeping in the same container (an
    /// encoder hands one keyed container per level, as it does to a subclass and its super).
    func encode(to encoder: any Encoder) throws {
        try template.encode(to: encoder)
        var fields = encoder.container(keyedBy: Bookkeeping.self)
        try fields.encode(id, forKey: .id)
        try fields.encode(createdBy, forKey: .createdBy)
        try fields.encode(createdAt, forKey: .createdAt)
        try fields.encode(updatedAt, forKey: .updatedAt)
    }
}
