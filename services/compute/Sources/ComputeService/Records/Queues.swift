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

/// The settings `mlex.compute.maxActiveJobsPerUser` and `…PerProject`: how many workers one user,
/// and one project, may have scheduled or running at once (0: no limit) — the concurrent-worker
/// defaults of `QuotaBook` until an administrator stores defaults of their own.
struct Quota: Sendable {
    var perUser: Int
    var perProject: Int
}
