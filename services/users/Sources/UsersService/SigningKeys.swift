import Auth
import Crypto
import Foundation
import JWTKit
import Platform
import Synchronization

/// The Ed25519 keys that sign access tokens, one PEM file each under `<stateDir>/users/keys/`
/// (mode 0600), named `<created ms>-<kid>.pem`. The newest signs; every key still able to have
/// signed a live token is published in the JWKS, so rotating logs nobody out.
final class SigningKeys: Sendable {
    struct Key: Sendable {
        let kid: String
        let created: Date
        let privateKey: Curve25519.Signing.PrivateKey
    }

    private let directory: URL
    /// Keys are kept (and published) this long after a newer one takes over.
    private let overlap: TimeInterval
    private let state: Mutex<(keys: [Key], signer: JWTKeyCollection)>

    init(directory: URL, overlap: TimeInterval) async throws {
        self.directory = directory
        self.overlap = overlap
        try FileManager.default.createDirectory(
            at: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        var keys = try Self.read(directory)
        if keys.isEmpty { keys = [try Self.create(in: directory)] }
        self.state = Mutex((keys, await Self.collection(keys)))
    }

    /// Signs with the newest key.
    func sign(_ claims: AccessClaims) async throws -> String {
        let (newest, signer) = state.withLock { ($0.keys.last, $0.signer) }
        // Never empty: made with a key, and rotating retires only keys older than the newest.
        guard let newest else { throw APIError.unavailable("no signing key") }
        return try await signer.sign(claims, kid: JWKIdentifier(string: newest.kid))
    }

    /// Makes a new key the signer and forgets keys retired longer than `overlap` ago.
    func rotate(now: Date = Date()) async throws -> String {
        let key = try Self.create(in: directory, now: now)
        var keys = state.withLock { $0.keys } + [key]
        // A key is retired when the next one was made; keep it while its tokens may live.
        let expired = keys.indices.dropLast().filter { now.timeIntervalSince(keys[$0 + 1].created) > overlap }
        for index in expired {
            try? FileManager.default.removeItem(at: directory.appendingPathComponent(Self.fileName(keys[index])))
        }
        keys = keys.enumerated().filter { !expired.contains($0.offset) }.map(\.element)
        let signer = await Self.collection(keys)
        state.withLock { $0 = (keys, signer) }
        return key.kid
    }

    /// The public keys as a JWKS document.
    var jwks: JSONValue {
        JWKSDocument.make(state.withLock { $0.keys }.map { ($0.kid, $0.privateKey.publicKey) })
    }

    private static func collection(_ keys: [Key]) async -> JWTKeyCollection {
        let collection = JWTKeyCollection()
        for key in keys {
            await collection.add(eddsa: EdDSA.PrivateKey(backing: key.privateKey), kid: JWKIdentifier(string: key.kid))
        }
        return collection
    }

    private static func read(_ directory: URL) throws -> [Key] {
        try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasSuffix(".pem") }.compactMap {
            name in
            let parts = name.dropLast(4).split(separator: "-", maxSplits: 1)
            guard parts.count == 2, let millis = Double(parts[0]) else { return nil }
            let pem = try String(contentsOf: directory.appendingPathComponent(name), encoding: .utf8)
            return Key(
                kid: String(parts[1]), created: Date(timeIntervalSince1970: millis / 1000),
                privateKey: try .init(pemRepresentation: pem))
        }.sorted { $0.created < $1.created }
    }

    private static func create(in directory: URL, now: Date = Date()) throws -> Key {
        let key = Key(kid: String(ID.make().suffix(12)), created: now, privateKey: Curve25519.Signing.PrivateKey())
        // Whole or absent: a half-written key would stop the next start.
        guard
            try StateDirectory.createPrivateFile(
                at: directory.appendingPathComponent(fileName(key)),
                contents: Array(key.privateKey.pemRepresentation.utf8))
        else {
            throw APIError.unavailable("a signing key named \(fileName(key)) exists already")
        }
        return key
    }

    private static func fileName(_ key: Key) -> String {
        "\(Int64(key.created.timeIntervalSince1970 * 1000))-\(key.kid).pem"
    }
}
