import Configuration
import Foundation
import Logging

/// The resolved settings every service process needs, read once at start.
public struct ServiceSettings: Sendable {
    public var service: ServiceName
    public var host: String
    public var port: Int
    public var stateDirectory: URL
    public var maxBodyBytes: Int
    public var logFormat: LogFormat
    public var logLevel: Logger.Level
    /// Where every other service is reached (for the gateway and service-to-service calls).
    public var peerURLs: [ServiceName: String]
    /// The reader these came from, for the settings a service adds (`extraSettings`).
    public let config: ConfigReader

    public init(service: ServiceName, reader: ConfigReader) throws {
        self.config = reader
        self.service = service
        self.host = reader.string(Settings.host(service))
        self.port = try reader.int(Settings.port(service), in: 0...65535)
        self.stateDirectory = URL(fileURLWithPath: reader.string(Settings.stateDir), isDirectory: true)
        self.maxBodyBytes = try reader.int(Settings.maxBodyBytes, in: 1...Int(Int32.max))
        self.logFormat = LogFormat(
            rawValue: try reader.choice(Settings.logFormat, from: LogFormat.allCases.map(\.rawValue)))!
        let levels = Logger.Level.allCases.map(\.rawValue)
        self.logLevel = Logger.Level(rawValue: try reader.choice(Settings.logLevel, from: levels))!
        var peers: [ServiceName: String] = [:]
        for peer in ServiceName.allCases {
            let url = reader.string(Settings.url(peer))
            guard let parsed = URL(string: url), parsed.scheme == "http" || parsed.scheme == "https", parsed.host != nil
            else {
                throw ConfigurationError(setting: Settings.url(peer), value: url, expected: "an http(s) URL")
            }
            peers[peer] = url.hasSuffix("/") ? String(url.dropLast()) : url
        }
        self.peerURLs = peers
    }

    /// Settings for tests: an ephemeral port, a given state directory, defaults elsewhere.
    /// `environment` adds or overrides variables, e.g. a service's own settings.
    public static func forTesting(
        _ service: ServiceName, stateDirectory: URL, maxBodyBytes: Int = HTTPSettings.defaultMaxBodyBytes,
        extraSettings: [Setting] = [], environment: [String: String] = [:]
    ) async throws -> ServiceSettings {
        let base = [
            "MLEX_CONFIG_DIR": "/nonexistent", "MLEX_STATE_DIR": stateDirectory.path,
            Settings.port(service).environmentName: "0",
            Settings.maxBodyBytes.environmentName: String(maxBodyBytes),
        ]
        let reader = try await ConfigLoader.load(
            service: service, arguments: [],
            environment: base.merging(environment) { _, given in given },
            extraSettings: extraSettings
        )
        return try ServiceSettings(service: service, reader: reader)
    }
}
