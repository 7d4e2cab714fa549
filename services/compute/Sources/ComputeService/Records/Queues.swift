/// Queues: names jobs ask for and nodes serve (templates' names follow the same rule).
enum QueueName {
    static let defaultQueue = "default"
    static let rule = "a queue name is 1 to 64 of a-z, 0-9, - and _"

    /// Short, lowercase, safe in paths and on command lines.
    static func isValid(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.count <= 64
            && name.utf8.allSatisfy {
                $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: "-")
                    || (UInt8(ascii: "a")...UInt8(ascii: "z")).contains($0)
                    || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0)
            }
    }
}

/// How many jobs one user, and one project, may have scheduled or running at once (0: no
/// limit), a job counting once per worker; the rest wait queued
/// (`mlex.compute.maxActiveJobsPerUser` and `…PerProject`). A job with more workers than the
/// limit still runs when its holder has nothing active, so it is never stuck.
struct Quota: Sendable {
    var perUser: Int
    var perProject: Int

    var limitsAnything: Bool { perUser > 0 || perProject > 0 }

    /// Owners and projects whose active jobs already reach their quota, each sorted.
    func reached(by active: [JobAllocation]) -> (owners: [String], projects: [String]) {
        func full(_ holder: KeyPath<JobAllocation, String?>, _ limit: Int) -> [String] {
            guard limit > 0 else { return [] }
            var counts: [String: Int] = [:]
            for job in active { if let name = job[keyPath: holder] { counts[name, default: 0] += job.workers } }
            return counts.filter { $0.value >= limit }.map(\.key).sorted()
        }
        return (full(\.owner, perUser), full(\.projectId, perProject))
    }
}
