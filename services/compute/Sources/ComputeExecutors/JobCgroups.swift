import ComputeWire
import Foundation
import Glibc

/// The cgroups of one job: one directory per v1 controller, or a single v2 directory. Saved as
/// `cgroups.json` in the job directory so whoever kills, measures or removes the job later uses
/// exactly the directories the supervisor made.
public struct JobCgroups: Codable, Sendable, Equatable {
    public let version: CgroupHierarchy.Version
    /// Controller (or "unified") → cgroup directory.
    public let paths: [String: String]

    public init(version: CgroupHierarchy.Version, paths: [String: String]) {
        self.version = version
        self.paths = paths
    }

    /// Distinct directories; co-mounted v1 controllers (e.g. "cpu,cpuacct") share one.
    var directories: [String] { Set(paths.values).sorted() }

    /// The directories and every cgroup nested in them (a multi-worker job's workers'),
    /// nested ones first, so removing in this order never meets a cgroup that still has children.
    var subtreeDirectories: [String] { directories.flatMap(Self.subtree) }

    /// True while any of the directories is still there.
    public var exists: Bool { directories.contains { FileManager.default.fileExists(atPath: $0) } }

    /// Makes the directories and writes the limits. On failure nothing is left behind.
    public func create(limits: ResourceLimits) throws {
        do {
            for directory in directories {
                let parent = (directory as NSString).deletingLastPathComponent
                for path in [parent, directory] where mkdir(path, 0o755) != 0 && errno != EEXIST {
                    throw ExecutorError(.cgroup, "mkdir \(path): \(SysFile.errnoText())")
                }
                if version == .v2, directory == directories.first {
                    try Self.enableV2Controllers(in: (parent as NSString).deletingLastPathComponent)
                    try Self.enableV2Controllers(in: parent)
                }
            }
            switch version {
            case .v1: try applyV1(limits)
            case .v2: try applyV2(limits)
            }
        } catch {
            try? remove()
            throw error
        }
    }

    /// `command` wrapped so that it starts inside these cgroups: a shell writes its own pid into
    /// every cgroup.procs and then execs the command. Whoever spawns this stays outside, which
    /// is why the supervisor can still measure, kill and clean up after the job.
    public func placed(_ command: [String]) -> [String] {
        let joins = directories.map { "echo $$ > \(Self.shellQuote($0 + "/cgroup.procs")) || exit 125" }
        return ["/bin/sh", "-c", (joins + ["exec \"$@\""]).joined(separator: "; "), "sh"] + command
    }

    /// Every process in any of the job's cgroups, its workers' included.
    public func processIDs() -> [pid_t] {
        var pids = Set<pid_t>()
        for directory in subtreeDirectories {
            for line in (SysFile.read(directory + "/cgroup.procs") ?? "").split(separator: "\n") {
                if let pid = pid_t(line) { pids.insert(pid) }
            }
        }
        return pids.sorted()
    }

    /// Kills every process in the cgroups, including ones forked while we were killing, and
    /// returns once none is left.
    public func kill() throws {
        switch version {
        case .v1: try killV1()
        case .v2: try killV2()
        }
    }

    /// Live counters, or nil once the cgroups are gone.
    public func usage() -> ResourceUsage? {
        switch version {
        case .v1: usageV1()
        case .v2: usageV2()
        }
    }

    /// How many times the kernel's OOM killer fired inside the job's memory cgroup, its workers'
    /// included: v2's memory.events counts nested cgroups' kills, v1's oom_control only its own.
    public var oomKillCount: Int {
        switch version {
        case .v1:
            paths["memory"].map { memory in
                Self.subtree(memory).reduce(0) { $0 + (SysFile.field("oom_kill", in: $1 + "/memory.oom_control") ?? 0) }
            } ?? 0
        case .v2: paths["unified"].flatMap { SysFile.field("oom_kill", in: $0 + "/memory.events") } ?? 0
        }
    }

    /// Most tasks alive at once, where the kernel records it (pids.peak, Linux 6.x).
    public var peakPids: Int? {
        (paths["pids"] ?? paths["unified"]).flatMap { SysFile.readInt($0 + "/pids.peak") }
    }

    /// Removes the directories. A cgroup stays busy for a moment after its last process died
    /// (the zombie is reaped asynchronously), so EBUSY is retried for up to 2 s. After a
    /// supervisor's death its sandbox's zombies belong to the host's init, which may not reap
    /// them for long: an emptied cgroup that stays busy is then left behind (it holds no live
    /// process and limits nothing) rather than failing the job's clean-up.
    public func remove() throws {
        for directory in subtreeDirectories {
            var attempts = 0
            while rmdir(directory) != 0 {
                let code = errno
                if code == ENOENT { break }
                attempts += 1
                guard code == EBUSY else {
                    throw ExecutorError(.cgroup, "rmdir \(directory): \(SysFile.errnoText(code))")
                }
                if attempts >= 200 {
                    if processIDs().allSatisfy(Self.isZombie) { break }
                    // Still exiting after the caller's kill: one more kill, then leave it.
                    try? kill()
                    break
                }
                usleep(10_000)
            }
        }
    }

    /// Dead (a zombie awaiting its parent's wait) or gone already.
    public static func isZombie(_ pid: pid_t) -> Bool { ProcessProbe.hasExited(pid) }

    /// `directory` and the cgroups below it, deepest first; just `directory` when it has none
    /// (or is gone). In cgroupfs every subdirectory is a cgroup.
    static func subtree(_ directory: String) -> [String] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        let children = entries.sorted().map { directory + "/" + $0 }.filter { child in
            var isDirectory: ObjCBool = false
            return FileManager.default.fileExists(atPath: child, isDirectory: &isDirectory) && isDirectory.boolValue
        }
        return children.flatMap(subtree) + [directory]
    }

    static func shellQuote(_ text: String) -> String {
        "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}
