import Foundation
import Logging

public enum LogFormat: String, CaseIterable, Sendable {
    /// swift-log's stream handler: for a person at a terminal.
    case text
    /// One JSON object per line: for log shippers.
    case json
}

public enum PlatformLogging {
    /// Installs the process-wide log handler once, from the resolved settings; executables call
    /// this before anything logs. Tests inject their own `Logger` instead.
    public static func bootstrap(format: LogFormat, level: Logger.Level) {
        LoggingSystem.bootstrap { label in
            var handler: any LogHandler =
                switch format {
                case .text: StreamLogHandler.standardError(label: label)
                case .json: JSONLogHandler(label: label, sink: JSONLogHandler.standardError)
                }
            handler.logLevel = level
            return handler
        }
    }
}
