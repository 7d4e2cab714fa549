import Configuration

/// One configuration key with its default and its meaning. Every key the platform reads is a
/// `Setting` listed in `Settings.all`, and docs/configuration.md documents each (a test checks).
public struct Setting: Sendable, Hashable {
    /// Dotted key, e.g. `mlex.data.port`; the environment spells it `MLEX_DATA_PORT` and the
    /// command line `--mlex-data-port`.
    public let key: String
    public let defaultValue: String
    public let summary: String

    public init(_ key: String, default defaultValue: String, _ summary: String) {
        self.key = key
        self.defaultValue = defaultValue
        self.summary = summary
    }

    /// The environment variable name swift-configuration looks up for this key.
    public var environmentName: String {
        var name = ""
        for character in key {
            if character == "." {
                name.append("_")
            } else if character.isUppercase {
                name.append("_")
                name.append(character)
            } else {
                name.append(character.uppercased())
            }
        }
        return name
    }
}

/// The catalogue of keys. Services add theirs next to the code that reads them and list them
/// in `Settings.all` through `ServiceSettings.extra`.
public enum Settings {
    public static let stateDir = Setting(
        "mlex.stateDir", default: "data",
        "Directory of all runtime state: databases, blobs, job work dirs, generated secrets.")
    public static let dbDir = Setting(
        "mlex.db.dir", default: "db",
        "Directory of the collection definitions (`<domain>/collections.json`) every service applies to its store at start."
    )
    public static let logFormat = Setting(
        "mlex.log.format", default: "text", "`text` (human-readable) or `json` (one JSON object per line).")
    public static let logLevel = Setting(
        "mlex.log.level", default: "info", "trace, debug, info, notice, warning, error or critical.")
    public static let maxBodyBytes = Setting(
        "mlex.http.maxBodyBytes", default: String(HTTPSettings.defaultMaxBodyBytes),
        "Largest request body a JSON endpoint accepts; larger ones answer 413. Streamed uploads have their own limits.")

    public static func host(_ service: ServiceName) -> Setting {
        Setting(
            "mlex.\(service.rawValue).host", default: "127.0.0.1", "Address the \(service.rawValue) service binds to.")
    }

    public static func port(_ service: ServiceName) -> Setting {
        Setting(
            "mlex.\(service.rawValue).port", default: String(service.defaultPort),
            "Port of the \(service.rawValue) service.")
    }

    /// Where peers (and the gateway) find a service.
    public static func url(_ service: ServiceName) -> Setting {
        Setting(
            "mlex.\(service.rawValue).url", default: "http://127.0.0.1:\(service.defaultPort)",
            "Base URL at which the other processes reach the \(service.rawValue) service.")
    }

    /// Every key the platform kit reads, in documentation order.
    public static var all: [Setting] {
        [stateDir, dbDir, logFormat, logLevel, maxBodyBytes]
            + ServiceName.allCases.flatMap { [host($0), port($0), url($0)] }
    }
}

public enum HTTPSettings {
    public static let defaultMaxBodyBytes = 4 * 1024 * 1024
}
