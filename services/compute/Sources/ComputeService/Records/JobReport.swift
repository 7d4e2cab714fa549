import ComputeWire
import Platform

extension JobReport {
    /// The state an agent reports, checked with the rest of the report: 400 naming the first
    /// bad field. nil: progress only. Agents report running and the ends; compute itself
    /// queues and schedules.
    func validatedState() throws -> JobState? {
        if let progress {
            try FieldRules.check(progress.isFinite && (0...1).contains(progress), "progress", "progress is 0 to 1")
        }
        return try state.map { text in
            guard let state = JobState(rawValue: text), state == .running || state.isTerminal else {
                throw APIError.invalidField("state", "state is running, succeeded, failed, cancelled or timed_out")
            }
            return state
        }
    }
}
