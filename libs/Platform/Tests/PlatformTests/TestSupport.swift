import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOConcurrencyHelpers
import PlatformTesting

@testable import Platform

/// Collects every log record, for asserting what lines carry.
final class CapturedLogs: Sendable {
    struct Record: Sendable {
        let message: String
        let metadata: Logger.Metadata
    }

    private let storage = NIOLockedValueBox<[Record]>([])

    var records: [Record] { storage.withLockedValue { $0 } }

    var logger: Logger {
        Logger(label: "test") { _ in CapturingHandler(logs: self) }
    }

    fileprivate func append(_ record: Record) {
        storage.withLockedValue { $0.append(record) }
    }
}

private struct CapturingHandler: LogHandler {
    let logs: CapturedLogs
    var logLevel: Logger.Level = .trace
    var metadata: Logger.Metadata = [:]

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        logs.append(
            .init(
                message: event.message.description, metadata: metadata.merging(event.metadata ?? [:]) { _, new in new })
        )
    }
}
