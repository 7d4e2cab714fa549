import Auth
import Crypto
import Foundation
import Hummingbird
import HummingbirdBcrypt
import JWTKit
import Logging
import NIOEmbedded
import Platform

/// The auth middleware alone: one request through `AuthMiddleware.handle` with a handler that
/// does nothing, for a token seen for the first time (an Ed25519 verification) and for a
/// cached one. Reference: swift-crypto's bare Ed25519 verification of the same token, the
/// floor for an uncached check.
struct AuthBenchmark {
    let tokens: Int
    let cachedRequests: Int

    func run() async throws {
        let key = Curve25519.Signing.PrivateKey()
        let signer = JWTKeyCollection()
        await signer.add(eddsa: EdDSA.PrivateKey(backing: key), kid: JWKIdentifier(string: "bench"))
        let signed = try await (0..<tokens).asyncMap { index in
            try await signer.sign(
                AccessClaims(
                    subject: ID.make(), kind: .user, role: "user", teams: ["t\(index % 7)"], scope: [],
                    sessionID: ID.make(), issuedAt: Date(), lifetime: 900
                ), kid: JWKIdentifier(string: "bench"))
        }
        let verifier = TokenVerifier(keySource: nil) { _ in nil }
        try await verifier.load(jwks: JWKSDocument.make([("bench", key.publicKey)]).jsonText)
        let middleware = AuthMiddleware<AuthRequestContext>(verifier: verifier)
        let context = AuthRequestContext(source: .init(channel: EmbeddedChannel(), logger: Logger(label: "bench")))
        let ok = Response(status: .ok)

        // Reference: the signature check alone, on the same bytes the middleware verifies.
        let parts = signed.map { token -> (Data, Data) in
            let pieces = token.split(separator: ".")
            return (Data("\(pieces[0]).\(pieces[1])".utf8), Base64URL.decode(pieces[2])!)
        }
        let reference = try await measure("Ed25519 verify alone (swift-crypto)", count: parts.count) { index in
            precondition(key.publicKey.isValidSignature(parts[index].1, for: parts[index].0))
        }

        func request(_ token: String) -> Request {
            Request(
                head: .init(
                    method: .get, scheme: "http", authority: "bench", path: "/v1/runs",
                    headerFields: [.authorization: "Bearer \(token)"]), body: .init(buffer: .init()))
        }
        // Requests are made before the clock starts: only the middleware is timed.
        let requests = signed.map(request)
        let firstUse = try await measure("middleware, token seen first (verify + cache)", count: tokens) { index in
            _ = try await middleware.handle(requests[index], context: context) { _, _ in ok }
        }
        let cached = try await measure("middleware, cached token", count: cachedRequests) { index in
            _ = try await middleware.handle(requests[index % 100], context: context) { _, _ in ok }
        }
        let bare = Request(
            head: .init(method: .get, scheme: "http", authority: "bench", path: "/v1/runs"),
            body: .init(buffer: .init()))
        let refused = try await measure("middleware, no Authorization header (401)", count: cachedRequests) { _ in
            _ = try? await middleware.handle(bare, context: context) { _, _ in ok }
        }
        Table.printRates(
            title: "Auth middleware alone: \(tokens) distinct tokens, \(cachedRequests) cached requests",
            rows: [reference, firstUse, cached, refused], reference: "Ed25519 verify alone", unit: "requests/s"
        )
        try await bcryptCosts()
    }

    /// What a login costs at each bcrypt work factor: the figure the default (11) is chosen by.
    private func bcryptCosts() async throws {
        var rows: [Measurement] = []
        for cost in [10, 11, 12] {
            rows.append(
                try await measure("bcrypt hash, cost \(cost)", count: 5) { _ in
                    _ = Bcrypt.hash("a long enough pass", cost: UInt8(cost))
                })
        }
        Table.printRates(
            title: "bcrypt on one core (a login verifies once; an attacker pays this per guess)", rows: rows,
            reference: "cost 10", unit: "hashes/s")
    }
}

extension Sequence {
    func asyncMap<T>(_ transform: (Element) async throws -> T) async rethrows -> [T] {
        var results: [T] = []
        for element in self { results.append(try await transform(element)) }
        return results
    }
}
