import Foundation
import Platform
import Synchronization

/// Failed logins, counted per account and per client address over a sliding window:
/// from the 5th failure in 15 minutes each attempt is slowed by a second; from the 10th it is
/// refused (429) until 15 minutes after the last failure. A success clears the account's count
/// (not the address's, so one good password does not reopen guessing at others).
/// Kept in memory: a restart forgives, and one users process is the deployment unit.
final class LoginThrottle: Sendable {
    struct Policy: Sendable {
        var window: TimeInterval = 15 * 60
        var slowAfter = 5
        var refuseAfter = 10
        var delay: Duration = .seconds(1)
    }

    enum Verdict: Equatable {
        case allow
        case slow(Duration)
        case refuse(retryAfter: Int)
    }

    let policy: Policy
    private let failures = Mutex<[String: [Date]]>([:])

    init(policy: Policy = Policy()) {
        self.policy = policy
    }

    /// What to do with an attempt for these keys (`account:<email>`, `address:<ip>`).
    func verdict(for keys: [String], now: Date = Date()) -> Verdict {
        let counts = failures.withLock { table in keys.map { key in recent(table[key] ?? [], now) } }
        if let worst = counts.max(by: { $0.count < $1.count }), worst.count >= policy.refuseAfter, let last = worst.last
        {
            return .refuse(
                retryAfter: max(1, Int((last.addingTimeInterval(policy.window).timeIntervalSince(now)).rounded(.up))))
        }
        return counts.contains { $0.count >= policy.slowAfter } ? .slow(policy.delay) : .allow
    }

    func recordFailure(for keys: [String], now: Date = Date()) {
        failures.withLock { table in
            for key in keys { table[key] = recent(table[key] ?? [], now) + [now] }
            // Forget quiet keys so a scan of many addresses cannot grow this without bound.
            if table.count > 100_000 { table = table.filter { !recent($0.value, now).isEmpty } }
        }
    }

    func recordSuccess(for key: String) {
        failures.withLock { _ = $0.removeValue(forKey: key) }
    }

    private func recent(_ dates: [Date], _ now: Date) -> [Date] {
        dates.filter { now.timeIntervalSince($0) < policy.window }
    }
}
