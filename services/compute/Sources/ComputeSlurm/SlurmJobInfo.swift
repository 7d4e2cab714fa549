/// One job as `scontrol show job -o <id>` prints it: a single line of `Key=Value` pairs. Only
/// the fields the executor reads are kept; values may hold spaces (a `Reason` or `Command`), so a
/// word without `=` belongs to the value before it.
public struct SlurmJobInfo: Sendable, Equatable {
    public var jobId: String
    public var state: SlurmState
    /// Why the job waits or ended, e.g. `Resources`, `TimeLimit`, `NonZeroExitCode`; nil for `None`.
    public var reason: String?
    /// `ExitCode=<code>:<signal>` of the batch script.
    public var exitCode: Int32?
    public var exitSignal: Int32?
    public var fields: [String: String]

    /// Parses the first job of `scontrol show job -o` output; nil when it names none.
    public static func parse(_ text: String) -> SlurmJobInfo? {
        guard let line = text.split(whereSeparator: \.isNewline).first(where: { $0.contains("JobId=") }) else {
            return nil
        }
        var fields: [String: String] = [:]
        var lastKey: String?
        for word in line.split(separator: " ", omittingEmptySubsequences: true) {
            if let equals = word.firstIndex(of: "="), isKey(word[..<equals]) {
                let key = String(word[..<equals])
                fields[key] = String(word[word.index(after: equals)...])
                lastKey = key
            } else if let key = lastKey {
                fields[key, default: ""] += " " + word
            }
        }
        guard let jobId = fields["JobId"], let stateText = fields["JobState"] else { return nil }
        let exit = fields["ExitCode"]?.split(separator: ":").map { Int32($0) }
        let reason = fields["Reason"].flatMap { $0 == "None" || $0.isEmpty ? nil : $0 }
        return SlurmJobInfo(
            jobId: jobId, state: SlurmState(stateText), reason: reason,
            exitCode: exit?.first.flatMap { $0 }, exitSignal: exit?.dropFirst().first.flatMap { $0 }, fields: fields)
    }

    /// scontrol's keys are words like `JobId`, `TRES` or `MCS_label`.
    private static func isKey(_ text: Substring) -> Bool {
        !text.isEmpty && text.allSatisfy { $0.isLetter || $0.isNumber || $0 == "_" || $0 == ":" || $0 == "/" }
    }
}
