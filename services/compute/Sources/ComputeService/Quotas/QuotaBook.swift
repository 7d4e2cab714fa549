import Foundation
import Platform
import Store

/// Every compute quota, read at once (a handful of documents: the defaults and the holders an
/// admin gave their own), answering the limits that apply to a project or a user. Without
/// stored defaults, the concurrent-worker limits are the settings
/// `mlex.compute.maxActiveJobsPerProject` / `…PerUser` (0: none) and there is no hour limit.
struct QuotaBook: Sendable {
    var projectDefaults: ComputeLimits
    var userDefaults: ComputeLimits
    var own: [QuotaHolder: ComputeLimits]

    static func load(_ core: ComputeCore) async throws -> QuotaBook {
        let settings = core.settings.quota
        var book = QuotaBook(
            projectDefaults: ComputeLimits(maxActiveWorkers: settings.perProject > 0 ? settings.perProject : nil),
            userDefaults: ComputeLimits(maxActiveWorkers: settings.perUser > 0 ? settings.perUser : nil), own: [:])
        for stored in try await core.store.find(StoredQuota.self, Query(filter: [:])) {
            if stored.id == StoredQuota.defaultsID {
                book.projectDefaults = stored.project ?? .none
                book.userDefaults = stored.user ?? .none
            } else if let limits = stored.limits, let holder = Self.holder(of: stored.id) {
                book.own[holder] = limits
            }
        }
        return book
    }

    static func holder(of key: String) -> QuotaHolder? {
        if key.hasPrefix("project:") { return .project(String(key.dropFirst(8))) }
        if key.hasPrefix("user:") { return .user(String(key.dropFirst(5))) }
        return nil
    }

    /// The limits that apply to `holder`: its own over the defaults.
    func limits(of holder: QuotaHolder) -> ComputeLimits {
        let defaults: ComputeLimits =
            switch holder {
            case .project: projectDefaults
            case .user: userDefaults
            }
        return (own[holder] ?? .none).over(defaults)
    }

    var limitsAnything: Bool {
        projectDefaults.limitsAnything || userDefaults.limitsAnything || own.values.contains(where: \.limitsAnything)
    }
}
