import Foundation
import Platform
import Store

/// The compute limits of a project or a user. In the defaults a missing value means no limit;
/// in a project's or a user's own quota it means the default's.
struct ComputeLimits: Codable, Sendable, Equatable {
    /// Workers scheduled or running at once (a job counts once per worker).
    var maxActiveWorkers: Int?
    /// Measured CPU-hours of the UTC calendar month (ended jobs plus what running ones used so far).
    var cpuHoursPerMonth: Double?
    /// GPU-hours (GPUs × workers × wall) of the UTC calendar month.
    var gpuHoursPerMonth: Double?

    static let none = ComputeLimits()

    /// These values, `base`'s where this names none.
    func over(_ base: ComputeLimits) -> ComputeLimits {
        ComputeLimits(
            maxActiveWorkers: maxActiveWorkers ?? base.maxActiveWorkers,
            cpuHoursPerMonth: cpuHoursPerMonth ?? base.cpuHoursPerMonth,
            gpuHoursPerMonth: gpuHoursPerMonth ?? base.gpuHoursPerMonth)
    }

    var limitsAnything: Bool { maxActiveWorkers != nil || cpuHoursPerMonth != nil || gpuHoursPerMonth != nil }

    /// 400 naming the field (`<prefix>.maxActiveWorkers`, …) outside its bounds.
    func validate(field prefix: String) throws {
        if let workers = maxActiveWorkers {
            try FieldRules.check(
                (1...1_000_000).contains(workers), "\(prefix)maxActiveWorkers", "maxActiveWorkers is 1 to 1000000")
        }
        for (name, hours) in [("cpuHoursPerMonth", cpuHoursPerMonth), ("gpuHoursPerMonth", gpuHoursPerMonth)] {
            if let hours {
                try FieldRules.check(
                    hours.isFinite && (0...1e9).contains(hours), "\(prefix)\(name)", "\(name) is 0 to 1e9 hours")
            }
        }
    }

    static let schema = Schema.object([
        "maxActiveWorkers": Schema.integer, "cpuHoursPerMonth": Schema.number, "gpuHoursPerMonth": Schema.number,
    ])
}

/// Who a quota applies to.
enum QuotaHolder: Sendable, Hashable {
    case project(String)
    case user(String)

    /// The stored quota's id: `project:<id>` or `user:<id>`.
    var key: String {
        switch self {
        case .project(let id): "project:\(id)"
        case .user(let id): "user:\(id)"
        }
    }

    var kind: String {
        switch self {
        case .project: "project"
        case .user: "user"
        }
    }

    /// The job field naming this holder.
    var jobField: String {
        switch self {
        case .project: "projectId"
        case .user: "owner"
        }
    }

    var id: String {
        switch self {
        case .project(let id), .user(let id): id
        }
    }
}

/// A quota as stored (`compute_quotas`): the defaults (`id: defaults`, limits for every project
/// and for every user) or one holder's own limits (`id: project:<id>` / `user:<id>`).
struct StoredQuota: CollectionRecord, Equatable {
    static let collection = "compute_quotas"
    static let defaultsID = "defaults"

    var id: String
    /// A holder's own limits.
    var limits: ComputeLimits?
    /// The defaults' limits for projects and for users.
    var project: ComputeLimits?
    var user: ComputeLimits?
    var updatedAt: String
    var updatedBy: String
}
