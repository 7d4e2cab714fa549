/// What a partition offers, summed over its nodes, from
/// `sinfo --noheader --Node --partition=<p> --format=%N|%c|%m|%G|%T`: the capacity an agent
/// fronting the partition registers, so compute schedules onto it like onto any node.
public struct SlurmCapacity: Sendable, Equatable {
    public var nodes: Int
    public var cpus: Int
    public var memoryMB: Int
    /// GPUs from each node's `gpu` gres (`gpu:2`, `gpu:a100:4(S:0-1)`).
    public var gpus: Int

    public init(nodes: Int, cpus: Int, memoryMB: Int, gpus: Int) {
        self.nodes = nodes
        self.cpus = cpus
        self.memoryMB = memoryMB
        self.gpus = gpus
    }

    public static let format = "%N|%c|%m|%G|%T"

    /// Each node counts once (sinfo --Node prints a node once per partition); nodes that are
    /// down, drained or failing offer nothing.
    public static func parse(_ text: String) -> SlurmCapacity {
        var seen: Set<String> = []
        var capacity = SlurmCapacity(nodes: 0, cpus: 0, memoryMB: 0, gpus: 0)
        for line in text.split(whereSeparator: \.isNewline) {
            let columns = line.split(separator: "|", omittingEmptySubsequences: false).map(String.init)
            guard columns.count >= 5, seen.insert(columns[0]).inserted else { continue }
            let state = columns[4].lowercased()
            if ["down", "drain", "fail", "maint", "unknown", "future", "not_responding", "power"].contains(where: {
                state.hasPrefix($0)
            }) || state.hasSuffix("*") {
                continue
            }
            capacity.nodes += 1
            capacity.cpus += Int(columns[1]) ?? 0
            // sinfo may print `3900+` for a range of sizes; the smallest is what every node has.
            capacity.memoryMB += Int(columns[2].prefix { $0.isNumber }) ?? 0
            capacity.gpus += gpuCount(columns[3])
        }
        return capacity
    }

    static func gpuCount(_ gres: String) -> Int {
        gres.split(separator: ",").reduce(0) { total, item in
            let parts = item.split(separator: "(").first?.split(separator: ":") ?? []
            guard parts.first == "gpu", let last = parts.last, let count = Int(last) else { return total }
            return total + count
        }
    }

    /// The default partition from `sinfo --noheader --format=%P`: the one marked `*`.
    public static func defaultPartition(_ text: String) -> String? {
        text.split(whereSeparator: \.isNewline).first { $0.hasSuffix("*") }.map { String($0.dropLast()) }
    }
}
