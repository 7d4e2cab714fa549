import Blobs
import Foundation
import Logging
import Platform
import ServiceLifecycle

/// Frees what no delete could: blobs a crash left unreferenced (written, then the process died
/// before the file document was), what a process killed mid-upload left half-written, and
/// uploads abandoned past their lifetime; and empties the trash of what stayed in it past its
/// retention (`TrashExpiry`); and samples each project's storage use once a day
/// (`StorageSamples`). Runs every `interval`; administrators can also run it at once
/// (`POST /v1/admin/sweep`). `now` is its clock, so tests move time instead of waiting for it.
struct BlobSweeper: Service {
    let core: DataCore
    let interval: Duration
    /// A blob younger than this may belong to an upload about to be recorded: left alone.
    let grace: TimeInterval
    let uploadLifetime: TimeInterval
    let trash: TrashExpiry
    /// Each project's storage use, sampled once a UTC day.
    let samples: StorageSamples
    let now: @Sendable () -> Date
    let logger: Logger

    struct Outcome: Sendable {
        var freedBytes: Int64 = 0
        var blobs = 0
        var uploads = 0
        var abandonedUploads = 0
        /// Projects, experiments, runs, datasets and versions purged from the trash.
        var trashPurged = 0
    }

    func run() async throws {
        do {
            try await cancelWhenGracefulShutdown {
                while true {
                    try await Task.sleep(for: interval)
                    do {
                        let outcome = try await sweep()
                        if outcome.blobs + outcome.uploads + outcome.abandonedUploads + outcome.trashPurged > 0 {
                            logger.info(
                                "sweeper freed storage",
                                metadata: [
                                    "bytes": "\(outcome.freedBytes)", "blobs": "\(outcome.blobs)",
                                    "uploads": "\(outcome.uploads)", "abandonedUploads": "\(outcome.abandonedUploads)",
                                    "trashPurged": "\(outcome.trashPurged)",
                                ])
                        }
                    } catch let error as CancellationError {
                        throw error
                    } catch {
                        logger.warning(
                            "sweeping unreferenced blobs failed; next round retries", metadata: ["error": "\(error)"])
                    }
                }
            }
        } catch is CancellationError {
            return
        }
    }

    func sweep(grace: TimeInterval? = nil) async throws -> Outcome {
        let grace = grace ?? self.grace
        let now = now()
        var outcome = Outcome()
        // The trash first: the blobs of what it purges are freed with it, as a manual purge does.
        let expired = try await trash.purgeExpired(now: now)
        outcome.trashPurged = expired.purged
        outcome.freedBytes += expired.freedBytes
        try await samples.take(now: now)
        outcome.abandonedUploads = try await core.ledger.blobs.removeAbandonedUploads(
            olderThan: now.addingTimeInterval(-grace))
        for upload in try await core.uploads.uploads(
            startedBefore: Timestamp.format(now.addingTimeInterval(-uploadLifetime)))
        {
            outcome.freedBytes += try await core.uploads.discard(upload)
            outcome.uploads += 1
        }
        var after: String?
        while true {
            let page = try await core.ledger.blobs.list(prefix: "", after: after, limit: 1000)
            let old = Set(page.filter { $0.createdAt < now.addingTimeInterval(-grace) }.map(\.id))
            for id in old.sorted() {
                let freed = try await core.ledger.reclaim([id])
                if freed > 0 {
                    outcome.freedBytes += freed
                    outcome.blobs += 1
                }
            }
            guard page.count == 1000, let last = page.last?.id else { return outcome }
            after = last
        }
    }
}
