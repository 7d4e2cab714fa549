import Auth
import Foundation
import Platform

/// Which services may get service tokens, and what each may do with them. A scope is a
/// permission checked where it is used: `projects.read`/`projects.write` by the Authorizer
/// (viewer/editor on every project), `users.read` by the users service's account lookups.
struct ServiceAccounts: Sendable {
    static let usersReadScope = "users.read"
    static let scopes: [ServiceName: [String]] = [
        // Owns projects and runs; shows members' names.
        .data: [usersReadScope],
        // Creates and updates the runs of jobs for their agents, reads datasets as inputs.
        .compute: [Authorizer.readScope, Authorizer.writeScope],
        // Writes what it ingests into projects.
        .ingest: [Authorizer.readScope, Authorizer.writeScope],
        // Indexes models and their lineage.
        .mlhub: [Authorizer.readScope],
        // Labels entities of every service for search.
        .tag: [Authorizer.readScope],
    ]

    let stateDirectory: URL
    /// Where the credentials are read from (`service-<name>` files); empty: the state dir's
    /// `secrets`, generated there on first use.
    let credentialsDirectory: String

    /// Whether `proof` is the gateway's credential (`service-web`, generated or a compose
    /// secret like the others). The gateway gets no token with it: it only vouches for the
    /// client addresses it forwards.
    func isGateway(_ proof: String?) -> Bool {
        guard let proof else { return false }
        let file =
            credentialsDirectory.isEmpty
            ? ""
            : URL(fileURLWithPath: credentialsDirectory).appendingPathComponent(ServiceCredential.fileName(.web)).path
        guard let expected = try? ServiceCredential.load(.web, stateDirectory: stateDirectory, file: file) else {
            return false
        }
        return ServiceCredential.matches(proof, expected)
    }

    /// The scopes of `service` when `credential` is its credential; nil otherwise.
    func verify(service: ServiceName, credential: String) -> [String]? {
        guard let scopes = Self.scopes[service] else { return nil }
        let file =
            credentialsDirectory.isEmpty
            ? ""
            : URL(fileURLWithPath: credentialsDirectory).appendingPathComponent(ServiceCredential.fileName(service))
                .path
        guard let expected = try? ServiceCredential.load(service, stateDirectory: stateDirectory, file: file),
            ServiceCredential.matches(credential, expected)
        else { return nil }
        return scopes
    }
}
