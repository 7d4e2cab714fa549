import Configuration
import Foundation
import SystemPackage

/// Builds the reader every process uses, with the precedence of docs/design.md §6:
/// command line > environment > `config/<service>.env` > `config/mlex.env` > built-in defaults.
public enum ConfigLoader {
    /// The directory of the `.env` files; itself only settable from the environment, since it
    /// decides where the other settings come from.
    public static let configDirVariable = "MLEX_CONFIG_DIR"

    public static func load(
        service: ServiceName,
        arguments: [String] = CommandLine.arguments,
        environment: [String: String] = ProcessInfo.processInfo.environment,
        extraSettings: [Setting] = []
    ) async throws -> ConfigReader {
        let configDir = environment[configDirVariable] ?? "config"
        let defaults = (Settings.all + extraSettings).map { setting in
            (AbsoluteConfigKey(stringLiteral: setting.key), ConfigValue(.string(setting.defaultValue), isSecret: false))
        }
        let providers: [any ConfigProvider] = [
            CommandLineArgumentsProvider(arguments: arguments),
            EnvironmentVariablesProvider(environmentVariables: environment),
            try await EnvironmentVariablesProvider(
                environmentFilePath: FilePath("\(configDir)/\(service.rawValue).env"), allowMissing: true),
            try await EnvironmentVariablesProvider(
                environmentFilePath: FilePath("\(configDir)/mlex.env"), allowMissing: true),
            InMemoryProvider(name: "defaults", values: Dictionary(defaults, uniquingKeysWith: { first, _ in first })),
        ]
        return ConfigReader(providers: providers)
    }
}

/// A setting whose value cannot be used: the process refuses to start and names the key.
public struct ConfigurationError: Error, CustomStringConvertible {
    public let setting: Setting
    public let value: String
    public let expected: String

    public init(setting: Setting, value: String, expected: String) {
        self.setting = setting
        self.value = value
        self.expected = expected
    }

    public var description: String {
        "configuration \(setting.key) (\(setting.environmentName)) = \"\(value)\" is invalid: expected \(expected)"
    }
}

extension ConfigReader {
    public func string(_ setting: Setting) -> String {
        string(forKey: ConfigKey(stringLiteral: setting.key), default: setting.defaultValue)
    }

    /// Integers are read as text and parsed here so a typo fails start-up instead of silently
    /// falling back to the default.
    public func int(_ setting: Setting, in range: ClosedRange<Int> = Int.min...Int.max) throws -> Int {
        let text = string(setting)
        guard let value = Int(text.trimmingCharacters(in: .whitespaces)), range.contains(value) else {
            throw ConfigurationError(
                setting: setting, value: text, expected: "an integer in \(range.lowerBound)...\(range.upperBound)")
        }
        return value
    }

    public func choice(_ setting: Setting, from allowed: [String]) throws -> String {
        let text = string(setting)
        guard allowed.contains(text) else {
            throw ConfigurationError(
                setting: setting, value: text, expected: "one of \(allowed.joined(separator: ", "))")
        }
        return text
    }
}
