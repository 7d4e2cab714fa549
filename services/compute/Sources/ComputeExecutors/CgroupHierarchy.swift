import Foundation
import Glibc

/// Where this machine lets us make job cgroups, found from /proc/self/mountinfo and
/// /proc/self/cgroup. Jobs nest under this process's own cgroup in every controller
/// (`<mount>/<own path>/mlex/<jobId>`), because in a container our own cgroup is usually not
/// the root and we may only write below it.
///
/// ```swift
/// let cgroups = try CgroupHierarchy.detect().cgroups(for: jobId)
/// try cgroups.create(limits: limits)
/// let argv = cgroups.placed(try SandboxCommand.arguments(job: job, directories: dirs, uid: 65534, gid: 65534))
/// ```
public struct CgroupHierarchy: Sendable, Equatable {
    public enum Version: String, Codable, Sendable {
        case v1, v2
    }

    public let version: Version
    /// The `mlex` parent directory per controller for v1 (memory, cpu, cpuacct, pids, freezer);
    /// for v2 one entry, "unified".
    public let parents: [String: String]

    /// The controllers a v1 job needs; freezer is what makes "kill everything" reliable.
    static let v1Controllers = ["memory", "cpu", "cpuacct", "pids", "freezer"]
    static let v2Controllers = ["memory", "cpu", "pids"]
    static let parentName = "mlex"

    /// Finds the hierarchy or throws `.cgroupsUnavailable`: with no usable cgroups a job would
    /// run without limits, which we never do.
    public static func detect() throws -> CgroupHierarchy {
        guard let mountinfo = SysFile.read("/proc/self/mountinfo"),
            let membership = SysFile.read("/proc/self/cgroup")
        else {
            throw ExecutorError(.cgroupsUnavailable, "cannot read /proc/self/mountinfo or /proc/self/cgroup")
        }
        let mounts = CgroupMount.parse(mountinfo: mountinfo)
        let ownPaths = parseMembership(membership)

        // cgroup v2 only when it *is* /sys/fs/cgroup; a hybrid system's /sys/fs/cgroup/unified
        // carries no controllers and would limit nothing.
        if let unified = mounts.first(where: { $0.isV2 && $0.mountPoint == "/sys/fs/cgroup" }) {
            let own = unified.directory(for: ownPaths[""] ?? "/")
            let available = (SysFile.read(own + "/cgroup.controllers") ?? "").split(separator: " ").map(String.init)
                .map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
            let missing = v2Controllers.filter { !available.contains($0) }
            guard missing.isEmpty else {
                throw ExecutorError(
                    .cgroupsUnavailable, "cgroup v2 at \(own) lacks controllers: \(missing.joined(separator: ", "))")
            }
            return CgroupHierarchy(version: .v2, parents: ["unified": own + "/" + parentName])
        }

        var parents: [String: String] = [:]
        var missing: [String] = []
        for controller in v1Controllers {
            guard let mount = mounts.first(where: { !$0.isV2 && $0.controllers.contains(controller) }),
                let ownPath = ownPaths[controller]
            else {
                missing.append(controller)
                continue
            }
            parents[controller] = mount.directory(for: ownPath) + "/" + parentName
        }
        guard missing.isEmpty else {
            throw ExecutorError(
                .cgroupsUnavailable,
                "no usable cgroup v1 controllers: \(missing.joined(separator: ", ")) (and /sys/fs/cgroup is not cgroup v2)"
            )
        }
        return CgroupHierarchy(version: .v1, parents: parents)
    }

    /// The cgroups a job with this id gets; nothing is created yet.
    public func cgroups(for jobId: String) -> JobCgroups {
        JobCgroups(version: version, paths: parents.mapValues { $0 + "/" + jobId })
    }

    /// Creates the `mlex` parents, proving we may write there. v2 also delegates the controllers
    /// down to them (see `JobCgroups+V2`).
    public func prepareParents() throws {
        for parent in Set(parents.values) where mkdir(parent, 0o755) != 0 && errno != EEXIST {
            throw ExecutorError(.cgroupsUnavailable, "cannot create \(parent): \(SysFile.errnoText())")
        }
        if version == .v2, let parent = parents["unified"] {
            try JobCgroups.enableV2Controllers(in: (parent as NSString).deletingLastPathComponent)
            try JobCgroups.enableV2Controllers(in: parent)
        }
    }

    /// "4:memory:/process_api/x" lines → controller → path; the v2 line ("0::/x") maps "".
    static func parseMembership(_ text: String) -> [String: String] {
        var paths: [String: String] = [:]
        for line in text.split(separator: "\n") {
            let fields = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
            guard fields.count == 3 else { continue }
            let path = String(fields[2])
            if fields[1].isEmpty {
                paths[""] = path
            } else {
                for controller in fields[1].split(separator: ",") { paths[String(controller)] = path }
            }
        }
        return paths
    }
}

/// One cgroup mount from /proc/self/mountinfo.
struct CgroupMount: Equatable {
    let root: String
    let mountPoint: String
    let isV2: Bool
    let controllers: Set<String>

    /// The directory of cgroup `path` (as /proc/self/cgroup names it) under this mount, whose
    /// own root may itself be a sub-cgroup.
    func directory(for path: String) -> String {
        var relative = path
        if root != "/", relative.hasPrefix(root) { relative.removeFirst(root.count) }
        if relative == "/" { relative = "" }
        return mountPoint + relative
    }

    static func parse(mountinfo: String) -> [CgroupMount] {
        mountinfo.split(separator: "\n").compactMap { line in
            // "id parent dev root mountpoint opts [optional…] - fstype source superopts"
            let halves = line.components(separatedBy: " - ")
            guard halves.count == 2 else { return nil }
            let left = halves[0].split(separator: " ")
            let right = halves[1].split(separator: " ")
            guard left.count >= 5, right.count >= 3, right[0] == "cgroup" || right[0] == "cgroup2" else { return nil }
            return CgroupMount(
                root: String(left[3]),
                mountPoint: String(left[4]),
                isV2: right[0] == "cgroup2",
                controllers: Set(right[2].split(separator: ",").map(String.init))
            )
        }
    }
}
