import Platform

/// A job's life (DESIGN.md §5): queued → scheduled → running → one of the four ends. A job lost
/// with its node may go back to queued when its spec allows another attempt.
enum JobState: String, Codable, Sendable, CaseIterable {
    case queued, scheduled, running, succeeded, failed, cancelled
    case timedOut = "timed_out"

    var isTerminal: Bool { [.succeeded, .failed, .cancelled, .timedOut].contains(self) }
    /// Holding a node's resources.
    var isActive: Bool { self == .scheduled || self == .running }

    /// Forward only; the one way back is a lost node's requeue (`requeue`), never a report.
    func canMove(to next: JobState) -> Bool {
        switch (self, next) {
        case (.queued, .scheduled), (.queued, .cancelled): true
        case (.scheduled, .running): true
        case (.scheduled, _), (.running, _): next.isTerminal
        default: false
        }
    }

    static let activeValues: JSONValue = ["$in": ["scheduled", "running"]]
}

