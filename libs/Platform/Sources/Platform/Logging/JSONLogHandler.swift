import Foundation
import Logging
import NIOConcurrencyHelpers

/// Writes each record as one JSON object on one line: `time`, `level`, `label`, `message`,
/// `requestId` (lifted from Hummingbird's request metadata) and the remaining metadata.
public struct JSONLogHandler: LogHandler {
    public typealias Sink = @Sendable (String) -> Void

    public var logLevel: Logger.Level = .info
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?
    let label: String
    let sink: Sink

    public init(label: String, sink: @escaping Sink) {
        self.label = label
        self.sink = sink
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var merged = metadata
        if let provided = metadataProvider?.get() { merged.merge(provided) { _, new in new } }
        if let extra = event.metadata { merged.merge(extra) { _, new in new } }
        var record: [String: Any] = [
            "time": Self.timestamp(),
            "level": event.level.rawValue,
            "label": label,
            "message": event.message.description,
        ]
        if let requestID = merged.removeValue(forKey: "hb.request.id") {
            record["requestId"] = requestID.description
        }
        if !merged.isEmpty { record["metadata"] = merged.mapValues(Self.plain) }
        if event.level >= .error { record["source"] = "\(event.file):\(event.line)" }
        guard
            let data = try? JSONSerialization.data(
                withJSONObject: record, options: [.sortedKeys, .withoutEscapingSlashes])
        else { return }
        sink(String(decoding: data, as: UTF8.self))
    }

    static func plain(_ value: Logger.Metadata.Value) -> Any {
        switch value {
        case .string(let text): text
        case .stringConvertible(let convertible): convertible.description
        case .array(let values): values.map(plain)
        case .dictionary(let values): values.mapValues(plain)
        }
    }

    static func timestamp() -> String {
        Timestamp.now
    }

    private static let stderrLock = NIOLock()
    public static let standardError: Sink = { line in
        stderrLock.withLock {
            FileHandle.standardError.write(Data((line + "\n").utf8))
        }
    }
}
