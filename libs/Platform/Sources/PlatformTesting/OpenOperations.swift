import Foundation
import Hummingbird
import HummingbirdTesting
import NIOCore
import Platform
import Testing

/// What docs/design.md §4 lets answer without a token on every service: health, ready, metrics,
/// openapi.json and docs. A service adds its own open operations (register, login…).
public let standardOpenOperations: Set<String> = [
    "GET /health", "GET /ready", "GET /metrics", "GET /openapi.json", "GET /docs",
]

/// Calls every operation of the app's /openapi.json without a token (path parameters filled
/// with fresh ids, a `{}` body) and expects 401 from each one not in `open`, and something
/// else from each one in it. Returns how many operations it called.
@discardableResult
public func expectEveryOperationNeedsAToken(
    _ app: some ApplicationProtocol, open: Set<String>, sourceLocation: SourceLocation = #_sourceLocation
) async throws -> Int {
    try await app.test(.router) { client in
        let text = try await client.execute(uri: "/openapi.json", method: .get) { String(buffer: $0.body) }
        let document = try JSONValue.parse(text)
        var called = 0
        for (path, operations) in document["paths"]?.objectValue ?? [:] {
            for method in (operations.objectValue ?? [:]).keys {
                let operation = "\(method.uppercased()) \(path)"
                let uri = path.replacingOccurrences(of: #"\{[A-Za-z]+\}"#, with: ID.make(), options: .regularExpression)
                let status = try await client.execute(
                    uri: uri, method: HTTPRequest.Method(rawValue: method.uppercased())!,
                    headers: [.contentType: "application/json"], body: ByteBuffer(string: "{}")
                ) { $0.status }
                if open.contains(operation) {
                    #expect(status != .unauthorized, "\(operation) is open", sourceLocation: sourceLocation)
                } else {
                    #expect(
                        status == .unauthorized, "\(operation) answered \(status.code) without a token",
                        sourceLocation: sourceLocation)
                }
                called += 1
            }
        }
        return called
    }
}
