import AsyncHTTPClient
import Foundation
import NIOCore
import Platform

/// How services other than users reach it for authentication: the JWKS document, and the
/// check of a personal API token (`GET /v1/tokens/current`, answered for that token only).
public struct UsersClient: Sendable {
    let baseURL: String
    let client: HTTPClient

    public init(baseURL: String, client: HTTPClient = .shared) {
        self.baseURL = baseURL
        self.client = client
    }

    public func jwks() async throws -> String {
        let response = try await client.execute(
            HTTPClientRequest(url: baseURL + "/.well-known/jwks.json"), timeout: .seconds(5))
        guard response.status == .ok else {
            throw APIError.unavailable("the users service answered \(response.status.code) for its keys")
        }
        return String(buffer: try await response.body.collect(upTo: 1 << 20))
    }

    public func verifyAPIToken(_ token: String) async throws -> TokenVerifier.VerifiedAPIToken? {
        var request = HTTPClientRequest(url: baseURL + "/v1/tokens/current")
        request.headers.add(name: "Authorization", value: "Bearer \(token)")
        let response = try await client.execute(request, timeout: .seconds(5))
        if response.status == .unauthorized { return nil }
        guard response.status == .ok else {
            throw APIError.unavailable("the users service answered \(response.status.code) checking a token")
        }
        let body = try JSONValue.parse(String(buffer: try await response.body.collect(upTo: 1 << 20)))
        return try Self.verifiedToken(from: body)
    }

    /// Exchanges a service's credential for a service token (`POST /v1/sessions/service`).
    public func serviceToken(
        service: ServiceName, credential: String
    ) async throws -> (token: String, expiresIn: TimeInterval) {
        var request = HTTPClientRequest(url: baseURL + "/v1/sessions/service")
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.body = .bytes(
            ByteBuffer(
                string: (["service": .string(service.rawValue), "credential": .string(credential)] as JSONValue)
                    .jsonText))
        let response = try await client.execute(request, timeout: .seconds(5))
        let body = try JSONValue.parse(String(buffer: try await response.body.collect(upTo: 1 << 20)))
        guard response.status == .created, let token = body["accessToken"]?.stringValue,
            let expiresIn = body["expiresIn"]?.intValue
        else {
            throw APIError.unavailable(
                "the users service refused \(service.rawValue)'s credential (\(response.status.code)): \(body["error"]?["message"]?.stringValue ?? "")"
            )
        }
        return (token, TimeInterval(expiresIn))
    }

    /// Reads `GET /v1/tokens/current`'s answer (the users service writes it with `TokenIntrospection`).
    static func verifiedToken(from body: JSONValue) throws -> TokenVerifier.VerifiedAPIToken {
        guard let id = body["id"]?.stringValue, let userID = body["userId"]?.stringValue,
            let role = body["role"]?.stringValue
        else {
            throw APIError.unavailable("the users service's token answer lacks id, userId or role")
        }
        let teams = body["teams"]?.arrayValue?.compactMap(\.stringValue) ?? []
        let expires = body["expiresAt"]?.stringValue.flatMap(Timestamp.parse)
        return .init(
            principal: Principal(id: userID, kind: .user, credential: .apiToken, role: role, teams: teams), tokenID: id,
            expiresAt: expires)
    }
}
