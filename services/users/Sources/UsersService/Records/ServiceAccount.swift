import Foundation
import Platform

/// `POST /v1/sessions/service`: a service (one of those with an account, `ServiceAccounts.scopes`)
/// and its credential.
struct ServiceLogin: Sendable {
    let service: ServiceName
    let credential: String
}

extension ServiceLogin: Decodable {
    private struct Body: Decodable {
        let service: String
        let credential: String
    }

    init(from decoder: any Decoder) throws {
        let body = try Body(from: decoder)
        guard let service = ServiceName(rawValue: body.service), ServiceAccounts.scopes[service] != nil else {
            throw APIError.invalidField(
                "service",
                "service is one of \(ServiceAccounts.scopes.keys.map(\.rawValue).sorted().joined(separator: ", "))")
        }
        self.init(service: service, credential: body.credential)
    }
}

/// A service's short-lived token and the scopes it carries.
struct ServiceToken: Encodable, Sendable {
    let accessToken: String
    let tokenType = "Bearer"
    /// Seconds the token lives.
    let expiresIn: Int64
    let scopes: [String]
}
