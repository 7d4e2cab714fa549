import ComputeWire

/// Live usage of a running job from `sstat --noheader --parsable2 --allsteps
/// --format=JobID,TresUsageInTot,MaxRSS,NTasks -j <id>` (Slurm's accounting gather, no database
/// needed): CPU time and memory summed over the job's steps.
public enum SlurmUsage {
    public static let format = "JobID,TresUsageInTot,MaxRSS,NTasks"

    public static func parse(_ text: String) -> ResourceUsage? {
        var usage: ResourceUsage?
        for line in text.split(whereSeparator: \.isNewline) {
            let columns = line.split(separator: "|", omittingEmptySubsequences: false).map(String.init)
            guard columns.count >= 4 else { continue }
            let tres = tresValues(columns[1])
            var total = usage ?? ResourceUsage(cpuSeconds: 0, memoryBytes: 0, memoryPeakBytes: 0, pids: 0)
            total.cpuSeconds += tres["cpu"].flatMap(seconds) ?? 0
            let memory = tres["mem"].flatMap(bytes) ?? 0
            total.memoryBytes += memory
            total.memoryPeakBytes += bytes(columns[2]) ?? memory
            total.pids += Int(columns[3]) ?? 0
            usage = total
        }
        return usage
    }

    /// `cpu=00:00:05,energy=0,mem=1234K,…` as a dictionary.
    static func tresValues(_ text: String) -> [String: String] {
        var values: [String: String] = [:]
        for item in text.split(separator: ",") {
            let pair = item.split(separator: "=", maxSplits: 1)
            if pair.count == 2 { values[String(pair[0])] = String(pair[1]) }
        }
        return values
    }

    /// Slurm's durations: `[D-]HH:MM:SS[.mmm]`, `MM:SS.mmm` or plain seconds.
    static func seconds(_ text: String) -> Double? {
        var rest = Substring(text)
        var days = 0.0
        if let dash = rest.firstIndex(of: "-") {
            days = Double(rest[..<dash]) ?? 0
            rest = rest[rest.index(after: dash)...]
        }
        let parts = rest.split(separator: ":").map { Double($0) }
        guard !parts.isEmpty, parts.allSatisfy({ $0 != nil }) else { return nil }
        let total = parts.reduce(0.0) { $0 * 60 + ($1 ?? 0) }
        return days * 86_400 + total
    }

    /// Slurm's sizes: `1234K`, `12M`, `1.5G`, or bytes without a unit.
    static func bytes(_ text: String) -> Int? {
        guard let last = text.last else { return nil }
        let units: [Character: Double] = ["K": 1024, "M": 1_048_576, "G": 1_073_741_824, "T": 1_099_511_627_776]
        if let unit = units[last] { return Double(text.dropLast()).map { Int($0 * unit) } }
        return Int(text)
    }
}
