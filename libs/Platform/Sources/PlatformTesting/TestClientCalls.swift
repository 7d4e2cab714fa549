import Hummingbird
import HummingbirdTesting
import NIOCore
import Platform

extension TestClientProtocol {
    /// Sends JSON (when given) with an optional bearer token; returns status and parsed body.
    @discardableResult
    public func call(
        _ method: HTTPRequest.Method, _ uri: String, token: String? = nil, json: String? = nil
    ) async throws -> (status: HTTPResponse.Status, body: JSONValue) {
        var headers = HTTPFields()
        if let token { headers[.authorization] = "Bearer \(token)" }
        if json != nil { headers[.contentType] = "application/json" }
        return try await execute(uri: uri, method: method, headers: headers, body: json.map { ByteBuffer(string: $0) })
        { response in
            let text = String(buffer: response.body)
            return (response.status, text.isEmpty ? .null : ((try? JSONValue.parse(text)) ?? .string(text)))
        }
    }
}

extension JSONValue {
    /// The string, or "" for anything else: terse comparisons in tests.
    public var text: String { stringValue ?? "" }
}
