/// A run's status (docs/design.md §4 maps compute's job states onto these).
enum RunStatus: String, Codable, Sendable, CaseIterable {
    case scheduled, running, finished, failed, killed

    var isTerminal: Bool { self == .finished || self == .failed || self == .killed }

    /// A finished run stays finished: only a scheduled or running run moves on, and a terminal
    /// status may be stated again (retried reports) but not changed.
    func canMove(to next: RunStatus) -> Bool {
        if isTerminal { return next == self }
        if self == .running { return next != .scheduled }
        return true
    }
}
