import Foundation
import Hummingbird
import HummingbirdTesting
import NIOCore
import Platform
import PlatformTesting
import Testing
import UsersService

let adminEmail = "root@lab.example"
let adminPassword = "correct horse battery"

/// The real users application on a fresh state dir, with a first admin from a password file
/// and the cheapest bcrypt cost (the cost is a setting; tests need not pay for it).
/// Without `adminPasswordFromFile` the service generates the admin's password itself.
/// `store` picks the document store (`MLEX_STORE`), the embedded SQLite file by default.
/// `bus` likewise (`MLEX_BUS`), the embedded log by default.
/// `auditClock` drives the audit log's retention.
func usersApp(
    state: URL? = nil, adminPasswordFromFile: Bool = true, store: String = "", bus: String = "",
    auditClock: AuditClock = .system
) async throws -> (some ApplicationProtocol, URL) {
    let directory = try state ?? temporaryDirectory()
    let passwordFile = directory.appendingPathComponent("admin-password")
    try adminPassword.write(to: passwordFile, atomically: true, encoding: .utf8)
    let settings = try await ServiceSettings.forTesting(
        .users, stateDirectory: directory, extraSettings: UsersApp.extraSettings,
        environment: [
            "MLEX_USERS_BCRYPT_COST": "4", "MLEX_ADMIN_EMAIL": adminEmail,
            "MLEX_ADMIN_PASSWORD_FILE": adminPasswordFromFile ? passwordFile.path : "",
            "MLEX_DB_DIR": repositoryRoot().appendingPathComponent("db").path, "MLEX_STORE": store, "MLEX_BUS": bus,
        ]
    )
    return (
        try await UsersApp.buildApplication(settings: settings, logger: quietLogger(), auditClock: auditClock),
        directory
    )
}

extension TestClientProtocol {
    @discardableResult
    func register(_ email: String, password: String = "a long enough pass") async throws -> JSONValue {
        let (status, body) = try await call(
            .post, "/v1/users", json: #"{"email": "\#(email)", "password": "\#(password)", "displayName": "Someone"}"#)
        #expect(status == .created, "\(body)")
        return body
    }

    /// Logs in; returns the whole token answer.
    func login(_ email: String, password: String = "a long enough pass") async throws -> JSONValue {
        let (status, body) = try await call(
            .post, "/v1/sessions", json: #"{"email": "\#(email)", "password": "\#(password)"}"#)
        #expect(status == .created, "\(body)")
        return body
    }
}
