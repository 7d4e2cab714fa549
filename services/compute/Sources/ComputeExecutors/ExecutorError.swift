/// Why an executor operation failed. Callers switch on `code`; `message` is for people.
public struct ExecutorError: Error, Hashable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        public let rawValue: String

        /// The job description is unusable (bad id, empty command, forbidden mount…).
        public static let invalidJob = Code(rawValue: "invalid_job")
        /// No cgroup hierarchy with the controllers we need: jobs would run unlimited, so refuse.
        public static let cgroupsUnavailable = Code(rawValue: "cgroups_unavailable")
        /// Reading or writing a cgroup file failed.
        public static let cgroup = Code(rawValue: "cgroup")
        /// A job's own disk cannot be made or is missing (no loop devices, no mkfs.ext4, no
        /// right to mount): it would write to the host's disk without limit, so refuse.
        public static let diskUnavailable = Code(rawValue: "disk_unavailable")
        /// bubblewrap or setpriv is missing.
        public static let sandboxUnavailable = Code(rawValue: "sandbox_unavailable")
        public static let startFailed = Code(rawValue: "start_failed")
        public static let notFound = Code(rawValue: "not_found")
        public static let alreadyExists = Code(rawValue: "already_exists")
        public static let stillRunning = Code(rawValue: "still_running")
        public static let io = Code(rawValue: "io")

        public var description: String { rawValue }
    }

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code): \(message)" }
}
