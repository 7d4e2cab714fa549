import Forwarding
import HTTPTypes
import Hummingbird
import NIOHTTP1

/// The gateway's request fields for a service: hop-by-hop ones stay on their hop (HopByHop,
/// libs/Forwarding); the forwarding chain, request id and the browser's token are added.
enum ProxyHeaders {
    /// Request fields for the upstream, with the client address appended to `X-Forwarded-For`
    /// and the request id the gateway logged under.
    /// `gatewayProof`, when given, is sent as `X-Mlex-Gateway`; a client's own is never passed on.
    /// `bearer`, when given, becomes `Authorization`; the browser session's cookies are never
    /// passed on (the bearer stands for them). `authority` (the client's `Host`) goes on as
    /// `X-Forwarded-Host`, with `X-Forwarded-Proto`, unless a proxy in front already set them:
    /// a service that hands out URLs of its own (MLflow's multipart part URLs) names the gateway.
    static func upstreamRequest(
        _ fields: HTTPFields, clientAddress: String?, requestID: String, gatewayProof: String? = nil,
        bearer: String? = nil, authority: String? = nil
    ) -> HTTPHeaders {
        var headers = HTTPHeaders()
        var forwardedFor: String?
        for field in fields where !HopByHop.contains(field.name, in: fields) {
            switch field.name {
            case .forwardedFor: forwardedFor = field.value
            case .requestID, .gatewayProof, .cookie: continue
            default: headers.add(name: field.name.rawName, value: field.value)
            }
        }
        let chain = [forwardedFor, clientAddress].compactMap { $0 }.joined(separator: ", ")
        if !chain.isEmpty { headers.add(name: "X-Forwarded-For", value: chain) }
        headers.add(name: "X-Request-Id", value: requestID)
        if let authority, fields[Self.forwardedHost] == nil {
            headers.add(name: "X-Forwarded-Host", value: authority)
            if fields[Self.forwardedProto] == nil { headers.add(name: "X-Forwarded-Proto", value: "http") }
        }
        if let cookie = SessionCookies.withoutSession(cookieHeaders: fields[values: .cookie]) {
            headers.add(name: "Cookie", value: cookie)
        }
        if let bearer { headers.add(name: "Authorization", value: "Bearer \(bearer)") }
        if let gatewayProof { headers.add(name: HTTPField.Name.gatewayProof.rawName, value: gatewayProof) }
        return headers
    }

    static let forwardedHost = HTTPField.Name("X-Forwarded-Host")!
    static let forwardedProto = HTTPField.Name("X-Forwarded-Proto")!
}
