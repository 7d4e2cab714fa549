import ComputeWire
import Foundation
import Platform

/// What a job runs once its template is applied: image, resources, environment and command.
/// The job document keeps these beside the spec as the user gave it, so a rerun resolves the
/// spec again against the template as it is then.
struct ResolvedJob: Sendable {
    var template: String?
    var image: String?
    var resources: Resources
    var environment: [String: String]
    var command: [String]

    /// A spec naming no template: what it says, the platform's defaults for the rest
    /// (`defaultDiskMB` for its disk).
    init(_ spec: JobSpec, defaultDiskMB: Int) {
        template = nil
        image = spec.image
        resources = spec.effectiveResources
        resources.diskMB = resources.diskMB ?? defaultDiskMB
        environment = spec.env ?? [:]
        command = spec.effectiveCommand
    }

    /// `spec` on `template`: the template's defaults fill the resources the spec leaves out
    /// (`defaultDiskMB` the disk where neither names one), its environment lies under the
    /// spec's, its image is the job's and its setup runs first. 400 naming the field when the
    /// resources fall outside the template's ranges.
    init(_ spec: JobSpec, on template: JobTemplate, defaultDiskMB: Int) throws {
        var asked = (spec.resources ?? ResourceRequest()).resolved(over: template.resolvedDefaults)
        let disk = asked.diskMB ?? defaultDiskMB
        asked.diskMB = disk
        try JobTemplate.within(template.ranges?.cpus, asked.cpus, "resources.cpus", of: template.name)
        try JobTemplate.within(template.ranges?.memoryMB, asked.memoryMB, "resources.memoryMB", of: template.name)
        try JobTemplate.within(template.ranges?.gpus, asked.gpus, "resources.gpus", of: template.name)
        try JobTemplate.within(template.ranges?.diskMB, disk, "resources.diskMB", of: template.name)
        self.template = template.name
        image = template.image
        resources = asked
        environment = (template.env ?? [:]).merging(spec.env ?? [:]) { $1 }
        command = Self.command(spec.effectiveCommand, after: template.setup ?? [])
    }

    /// `argv` run after the setup commands by one shell, which stops at the first that fails
    /// (saying which, with its status) and otherwise `exec`s argv as given: passed as the
    /// shell's positional parameters, argv is never re-parsed. Each command is a brace group of
    /// its own, so `cd` and `export` carry on to the next and to the job.
    static func command(_ argv: [String], after setup: [String]) -> [String] {
        guard !setup.isEmpty else { return argv }
        let steps = setup.enumerated().map { index, line in
            "{ \(line)\n} || { mlex_status=$?; echo \"mlex: setup command \(index + 1) failed with status $mlex_status\" >&2; exit $mlex_status; }"
        }
        return ["/bin/sh", "-c", (steps + ["exec \"$@\""]).joined(separator: "\n"), "mlex-setup"] + argv
    }
}
