import Crypto
import Foundation
import Platform

/// The secret a service exchanges at the users service (`POST /v1/sessions/service`) for
/// short-lived service tokens (docs/design.md §4). By default each is generated on first use into
/// `<stateDir>/secrets/service-<name>` (0600), where the users service of the same installation
/// finds the same file; in compose it is given as a secret file instead.
public enum ServiceCredential {
    public static let fileSetting = Setting(
        "mlex.service.credentialFile", default: "",
        "This service's credential for service tokens, as a file (a compose secret). Empty: generated once into `<stateDir>/secrets/service-<name>`."
    )

    public static func fileName(_ service: ServiceName) -> String { "service-\(service.rawValue)" }

    /// The credential `service` presents: the given file's text, or the generated one.
    public static func load(_ service: ServiceName, stateDirectory: URL, file: String) throws -> String {
        if !file.isEmpty {
            let text = try String(contentsOfFile: file, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
            guard text.utf8.count >= 32 else {
                throw ConfigurationError(
                    setting: fileSetting, value: file, expected: "a file holding at least 32 characters of secret")
            }
            return text
        }
        let stored = try StateDirectory(stateDirectory).secret(named: fileName(service)) {
            Array(Base64URL.randomToken().utf8)
        }
        return String(decoding: stored, as: UTF8.self)
    }

    /// Compares two credentials in time independent of where they differ (their digests, so
    /// lengths leak nothing either).
    public static func matches(_ given: String, _ expected: String) -> Bool {
        let left = SHA256.hash(data: Data(given.utf8))
        let right = SHA256.hash(data: Data(expected.utf8))
        return zip(left, right).reduce(UInt8(0)) { $0 | ($1.0 ^ $1.1) } == 0
    }
}

/// Gives a service a valid service token, exchanging its credential at the users service
/// and reusing the token until a minute before it expires.
public actor ServiceTokenSource {
    private let service: ServiceName
    private let credential: String
    private let users: UsersClient
    private var current: (token: String, renewAfter: Date)?

    public init(service: ServiceName, credential: String, users: UsersClient) {
        self.service = service
        self.credential = credential
        self.users = users
    }

    /// A bearer token for calls and event handling that act on no user's behalf.
    public func token() async throws -> String {
        if let current, current.renewAfter > Date() { return current.token }
        let issued = try await users.serviceToken(service: service, credential: credential)
        current = (issued.token, Date().addingTimeInterval(max(issued.expiresIn - 60, issued.expiresIn / 2)))
        return issued.token
    }
}
