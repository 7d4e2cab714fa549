import Foundation

extension SandboxJob {
    /// Job ids become directory and cgroup names, so nothing that could climb out of a path.
    public static func isValidJobId(_ id: String) -> Bool {
        !id.isEmpty && id.count <= 64
            && id.unicodeScalars.allSatisfy { ($0.isASCII && CharacterSet.alphanumerics.contains($0)) || $0 == "-" }
    }

    /// Paths the sandbox itself owns; an input mounted over them would hide or replace them.
    static let reservedSandboxPaths = [
        "/job", "/output", "/proc", "/dev", "/tmp", "/usr", "/bin", "/lib", "/lib64", "/sbin", "/etc",
    ]

    /// Host paths no job may see: kernel interfaces, root's home, and (checked separately) the
    /// executor's own state, which holds every other job.
    static let forbiddenHostPaths = ["/sys", "/proc", "/root", "/dev", "/boot"]

    /// Refuses a job that is malformed or would expose more of the host than its own inputs.
    /// Run by the executor before launch and again by the supervisor, which trusts no file.
    package func validate(executorRoot: URL) throws {
        guard Self.isValidJobId(jobId) else {
            throw ExecutorError(.invalidJob, "job id must be 1-64 characters of [A-Za-z0-9-], got '\(jobId)'")
        }
        guard !command.isEmpty, !command[0].isEmpty else {
            throw ExecutorError(.invalidJob, "command is empty")
        }
        guard limits.cpus > 0, limits.cpus.isFinite, limits.memoryMB > 0, limits.pids > 0, limits.gpus >= 0 else {
            throw ExecutorError(.invalidJob, "limits must be positive: \(limits)")
        }
        guard JobDisk.sizeBounds.contains(limits.diskMB) else {
            throw ExecutorError(
                .invalidJob,
                "diskMB must be \(JobDisk.sizeBounds.lowerBound) to \(JobDisk.sizeBounds.upperBound), got \(limits.diskMB)"
            )
        }
        guard (1...WorkerEnvironment.maxWorkers).contains(workers) else {
            throw ExecutorError(.invalidJob, "workers must be 1 to \(WorkerEnvironment.maxWorkers), got \(workers)")
        }
        if let timeoutSeconds, timeoutSeconds <= 0 {
            throw ExecutorError(.invalidJob, "timeoutSeconds must be positive")
        }
        for key in environment.keys where key.isEmpty || key.contains("=") || key.contains("\0") {
            throw ExecutorError(.invalidJob, "bad environment variable name '\(key)'")
        }
        let root = executorRoot.resolvingSymlinksInPath().path
        for input in inputs {
            try Self.check(input, executorRoot: root)
        }
    }

    private static func check(_ input: ReadOnlyMount, executorRoot: String) throws {
        let target = input.sandboxPath
        guard target.hasPrefix("/"), target != "/",
            !target.split(separator: "/").contains(where: { $0 == ".." || $0 == "." })
        else {
            throw ExecutorError(.invalidJob, "input sandbox path must be absolute and normalized: '\(target)'")
        }
        if reservedSandboxPaths.contains(where: { isSameOrInside(target, $0) || isSameOrInside($0, target) }) {
            throw ExecutorError(.invalidJob, "input sandbox path '\(target)' overlaps a path the sandbox owns")
        }
        let host = URL(fileURLWithPath: input.hostPath).resolvingSymlinksInPath().path
        guard FileManager.default.fileExists(atPath: host) else {
            throw ExecutorError(.invalidJob, "input '\(input.hostPath)' does not exist")
        }
        // Either direction exposes something: an ancestor contains the forbidden path, a
        // descendant is part of it.
        for forbidden in forbiddenHostPaths + [executorRoot]
        where isSameOrInside(host, forbidden) || isSameOrInside(forbidden, host) {
            throw ExecutorError(.invalidJob, "input '\(input.hostPath)' would expose \(forbidden)")
        }
    }

    private static func isSameOrInside(_ path: String, _ directory: String) -> Bool {
        path == directory || path.hasPrefix(directory == "/" ? "/" : directory + "/")
    }
}
