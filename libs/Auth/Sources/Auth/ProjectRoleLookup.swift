import AsyncHTTPClient
import Foundation
import Platform

/// Asks the data service, the authority on projects, which role a caller holds on a project:
/// `GET /v1/projects/{id}` with the caller's own token, whose answer carries `yourRole`. For a
/// service without a membership read model of its own, or before the read model heard of a
/// project. Data answers 404 to a caller with no role, as it answers everyone with no role.
public struct ProjectRoleLookup: Sendable {
    let dataURL: String
    let client: HTTPClient

    public init(dataURL: String, client: HTTPClient = .shared) {
        self.dataURL = dataURL
        self.client = client
    }

    /// The caller's role on `projectID`, nil when it has none (or there is no such project).
    public func role(on projectID: String, bearerToken: String) async throws -> ProjectRole? {
        guard ID.isValid(projectID) else { return nil }
        var request = HTTPClientRequest(url: "\(dataURL)/v1/projects/\(projectID)")
        request.headers.add(name: "Authorization", value: "Bearer \(bearerToken)")
        let response: HTTPClientResponse
        do {
            response = try await client.execute(request, timeout: .seconds(5))
        } catch {
            throw APIError.unavailable("the data service cannot be reached to check project \(projectID)")
        }
        switch response.status.code {
        case 200:
            let body = try JSONValue.parse(String(buffer: try await response.body.collect(upTo: 1 << 20)))
            return body["yourRole"]?.stringValue.flatMap(ProjectRole.init(rawValue:))
        case 403, 404:
            return nil
        default:
            throw APIError.unavailable("the data service answered \(response.status.code) about project \(projectID)")
        }
    }
}
