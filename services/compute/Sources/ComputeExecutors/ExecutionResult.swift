import ComputeWire
import Foundation

/// Why a job ended. Raw values are the wire spelling the rest of the platform uses.
public enum ExitReason: String, Codable, Sendable {
    case exited
    case signaled
    case oomKilled = "oom_killed"
    /// Ended badly with its disk (/job, /output and /tmp together) full: a write past its
    /// `diskMB` failed with ENOSPC.
    case diskLimit = "disk_limit"
    case timedOut = "timed_out"
    case cancelled
    case startFailed = "start_failed"
    /// No `status.json` and the supervisor is gone: nobody can say how the job ended.
    case supervisorLost = "supervisor_lost"

    /// The message of a `.diskLimit` end, the same from every executor.
    package static let diskFullMessage = "disk limit reached: /job, /output and /tmp together filled the job's disk"
}

/// The outcome the supervisor writes to `status.json` when a job ends.
public struct ExecutionResult: Codable, Sendable {
    public var reason: ExitReason
    public var exitCode: Int32?
    public var signal: Int32?
    public var message: String?
    public var startedAt: Date
    public var endedAt: Date
    public var usage: ResourceUsage?

    public init(
        reason: ExitReason,
        exitCode: Int32? = nil,
        signal: Int32? = nil,
        message: String? = nil,
        startedAt: Date,
        endedAt: Date,
        usage: ResourceUsage? = nil
    ) {
        self.reason = reason
        self.exitCode = exitCode
        self.signal = signal
        self.message = message
        self.startedAt = startedAt
        self.endedAt = endedAt
        self.usage = usage
    }
}
