import Foundation
import Wire

/// What `mlex login` remembers: the server and the session's tokens, in
/// `$XDG_CONFIG_HOME/mlex/config` (default `~/.config/mlex/config`), a JSON file only its owner
/// can read (0600). `MLEX_URL` and `MLEX_TOKEN` override it for scripts and CI.
public struct ClientConfig: Codable, Sendable, Equatable {
    public static let defaultURL = "http://localhost:8000"

    public var url: String
    public var email: String?
    public var accessToken: String?
    public var refreshToken: String?

    public init(
        url: String = ClientConfig.defaultURL, email: String? = nil, accessToken: String? = nil,
        refreshToken: String? = nil
    ) {
        self.url = url
        self.email = email
        self.accessToken = accessToken
        self.refreshToken = refreshToken
    }

    /// The file for `environment` (HOME, XDG_CONFIG_HOME).
    public static func file(environment: [String: String] = ProcessInfo.processInfo.environment) -> URL {
        let base =
            environment["XDG_CONFIG_HOME"].flatMap { $0.isEmpty ? nil : URL(fileURLWithPath: $0, isDirectory: true) }
            ?? URL(fileURLWithPath: environment["HOME"] ?? NSHomeDirectory(), isDirectory: true).appendingPathComponent(
                ".config")
        return base.appendingPathComponent("mlex").appendingPathComponent("config")
    }

    /// The stored config (a default one when there is none yet).
    public static func load(from file: URL) throws -> ClientConfig {
        guard let data = try? Data(contentsOf: file) else { return ClientConfig() }
        do {
            return try JSONDecoder().decode(ClientConfig.self, from: data)
        } catch {
            throw ClientError.usage("\(file.path) is not a config mlex can read (\(error)); remove it and log in again")
        }
    }

    /// Writes the config atomically, readable by its owner only: a new file is created 0600
    /// before any secret is written into it, then renamed over the old one.
    public func save(to file: URL) throws {
        let directory = file.deletingLastPathComponent()
        try FileManager.default.createDirectory(
            at: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let temporary = directory.appendingPathComponent(".config.\(getpid()).tmp")
        guard
            FileManager.default.createFile(
                atPath: temporary.path, contents: nil, attributes: [.posixPermissions: 0o600])
        else {
            throw ClientError.usage("cannot write \(temporary.path)")
        }
        try encoder.encode(self).write(to: temporary)
        guard rename(temporary.path, file.path) == 0 else {
            throw ClientError.usage("cannot replace \(file.path): \(String(cString: strerror(errno)))")
        }
    }
}

/// Where the client connects and with what: the config file, with `MLEX_URL` / `MLEX_TOKEN`
/// (and a `--url` flag) taking precedence.
public struct ClientSettings: Sendable {
    public var file: URL
    public var stored: ClientConfig
    public var url: String
    /// A token given in the environment: used as is, never refreshed or saved.
    public var fixedToken: String?

    public init(environment: [String: String] = ProcessInfo.processInfo.environment, urlFlag: String? = nil) throws {
        file = ClientConfig.file(environment: environment)
        stored = try ClientConfig.load(from: file)
        let chosen = urlFlag ?? environment["MLEX_URL"].flatMap { $0.isEmpty ? nil : $0 } ?? stored.url
        url = chosen.hasSuffix("/") ? String(chosen.dropLast()) : chosen
        guard let parsed = URL(string: url), ["http", "https"].contains(parsed.scheme ?? ""), parsed.host != nil else {
            throw ClientError.usage(
                "the server URL \"\(url)\" is not an http(s) URL (from --url, MLEX_URL or \(file.path))")
        }
        fixedToken = environment["MLEX_TOKEN"].flatMap { $0.isEmpty ? nil : $0 }
    }
}
