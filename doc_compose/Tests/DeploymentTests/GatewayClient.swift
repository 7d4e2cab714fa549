import Foundation
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// Plain HTTP to a deployment's published ports, as a user's client would reach them: JSON in,
/// JSON (or bytes) out, a bearer token once logged in.
struct GatewayClient {
    let base: URL
    var token: String?

    init(host: String, port: Int) {
        base = URL(string: "http://\(host):\(port)")!
    }

    struct Answer {
        let status: Int
        let body: Data
        var json: [String: Any] { (try? JSONSerialization.jsonObject(with: body)) as? [String: Any] ?? [:] }
        var text: String { String(decoding: body, as: UTF8.self) }
    }

    func send(_ method: String, _ path: String, _ body: [String: Any]? = nil) async throws -> Answer {
        var request = URLRequest(url: URL(string: path, relativeTo: base)!)
        request.httpMethod = method
        request.timeoutInterval = 30
        if let token { request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
        if let body {
            request.httpBody = try JSONSerialization.data(withJSONObject: body)
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        }
        let (data, response) = try await URLSession.shared.data(for: request)
        return Answer(status: (response as? HTTPURLResponse)?.statusCode ?? 0, body: data)
    }

    /// The answer's JSON when the status is 2xx; otherwise a failure naming the call and body.
    func json(_ method: String, _ path: String, _ body: [String: Any]? = nil) async throws -> [String: Any] {
        let answer = try await send(method, path, body)
        guard (200..<300).contains(answer.status) else {
            throw ComposeDeployment.Failure("\(method) \(path) answered \(answer.status): \(answer.text.prefix(500))")
        }
        return answer.json
    }

    /// Registers (unless the account exists) and logs in; the client then carries the token.
    mutating func logIn(email: String, password: String, register: Bool) async throws {
        if register {
            _ = try await json(
                "POST", "/api/users/v1/users", ["email": email, "password": password, "displayName": "Compose Test"])
        }
        let session = try await json("POST", "/api/users/v1/sessions", ["email": email, "password": password])
        token = try #require(session["accessToken"] as? String)
    }
}
