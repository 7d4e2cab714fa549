import DataClient
import Foundation
import Logging
import Platform
import ServiceLifecycle

/// After a crash, ingestions left `received` or `validating` are rejected (their staged files
/// were in the old process) and whatever of them reached data is removed, once data answers.
struct InterruptedIngestions: Service {
    let ingestions: Ingestions
    let data: DataClient
    let logger: Logger
    /// Only what an earlier process left: this one's own ingestions may already be under way.
    let startedAt = Timestamp.now

    func run() async throws {
        for ingestion in try await ingestions.unfinished(before: startedAt) {
            let project = ingestion.projectId
            do {
                for file in try await data.files(of: .project(project), prefix: "models/\(ingestion.id)") {
                    if let path = file["path"]?.stringValue {
                        try await data.deleteFile(of: .project(project), path: path)
                    }
                }
                try await ingestions.move(ingestion, to: .rejected) {
                    $0.reasons = [
                        Reason(
                            field: nil, file: nil,
                            message: "the ingest service stopped while checking this package; send it again")
                    ]
                }
            } catch {
                logger.warning(
                    "could not clean an interrupted ingestion yet; it is retried at the next start",
                    metadata: ["ingestion": "\(ingestion.id)", "error": "\(error)"])
            }
        }
        try await gracefulShutdown()
    }
}
