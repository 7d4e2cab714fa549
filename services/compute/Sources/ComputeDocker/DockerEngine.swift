import AsyncHTTPClient
import ComputeExecutors
import Foundation
import NIOCore
import NIOFoundationCompat
import NIOHTTP1

/// The Docker Engine API over its unix socket, pinned to API version 1.41 (Docker 20.10, what
/// Debian ships) so any newer daemon answers the same shapes. Only what the executor uses.
public struct DockerEngine: Sendable {
    public static let apiVersion = "v1.41"
    public let socketPath: String

    public init(socketPath: String) {
        self.socketPath = socketPath
    }

    /// An error answer of the daemon (`{"message": …}`), or no answer at all.
    public struct Failure: Error, CustomStringConvertible {
        public let status: Int
        public let message: String
        public var description: String { status == 0 ? message : "docker answered \(status): \(message)" }
    }

    /// One client for every engine: log and stats streams stay silent for as long as a job is,
    /// so no read timeout (the shared client's is 90 s). A global is never deinitialised, which
    /// AsyncHTTPClient requires of a client that is never shut down.
    static let client = HTTPClient(
        eventLoopGroup: HTTPClient.defaultEventLoopGroup,
        configuration: HTTPClient.Configuration(timeout: .init(connect: .seconds(5), read: nil))
    )

    func request(_ method: HTTPMethod, _ path: String, query: [String: String] = [:]) -> HTTPClientRequest {
        var components = URLComponents()
        components.queryItems =
            query.isEmpty ? nil : query.sorted { $0.key < $1.key }.map { URLQueryItem(name: $0.key, value: $0.value) }
        // The socket path is the URL's host, percent-encoded (AsyncHTTPClient's http+unix form).
        let host = socketPath.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? socketPath
        var request = HTTPClientRequest(
            url: "http+unix://\(host)/\(Self.apiVersion)\(path)\(components.percentEncodedQuery.map { "?" + $0 } ?? "")"
        )
        request.method = method
        // HTTP/1.1 needs one, and a unix socket gives AsyncHTTPClient no host name to send.
        request.headers.add(name: "Host", value: "docker")
        return request
    }

    /// A call whose answer is small: the status and the whole body.
    func call(
        _ method: HTTPMethod, _ path: String, query: [String: String] = [:], json: (any Encodable)? = nil,
        timeout: TimeAmount = .seconds(60)
    ) async throws -> (status: Int, body: Data) {
        var request = request(method, path, query: query)
        if let json {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(data: try JSONEncoder().encode(json)))
        }
        return try await send(request, timeout: timeout)
    }

    func send(_ request: HTTPClientRequest, timeout: TimeAmount) async throws -> (status: Int, body: Data) {
        let response: HTTPClientResponse
        do {
            response = try await Self.client.execute(request, timeout: timeout)
        } catch {
            throw Failure(status: 0, message: "cannot reach the Docker daemon at \(socketPath): \(error)")
        }
        let body = try await response.body.collect(upTo: 64 << 20)
        return (Int(response.status.code), Data(buffer: body))
    }

    /// Throws the daemon's own message unless the status is a success.
    @discardableResult
    func expect(_ answer: (status: Int, body: Data), _ accepted: ClosedRange<Int> = 200...299) throws -> Data {
        guard accepted.contains(answer.status) else {
            throw Failure(status: answer.status, message: Self.message(answer.body))
        }
        return answer.body
    }

    static func message(_ body: Data) -> String {
        struct Message: Decodable { let message: String }
        return (try? JSONDecoder().decode(Message.self, from: body))?.message
            ?? String(decoding: body.prefix(2_000), as: UTF8.self)
    }

    /// A response whose body arrives while something happens (logs, stats, pull progress);
    /// cancelling the calling task ends it.
    func stream(
        _ method: HTTPMethod, _ path: String, query: [String: String] = [:]
    ) async throws -> HTTPClientResponse.Body {
        let response: HTTPClientResponse
        do {
            response = try await Self.client.execute(request(method, path, query: query), deadline: .distantFuture)
        } catch {
            throw Failure(status: 0, message: "cannot reach the Docker daemon at \(socketPath): \(error)")
        }
        guard (200...299).contains(Int(response.status.code)) else {
            let body = try await response.body.collect(upTo: 1 << 20)
            throw Failure(status: Int(response.status.code), message: Self.message(Data(buffer: body)))
        }
        return response.body
    }

    /// The daemon's version answer: a cheap check that it is there and speaks our API version.
    public func ping() async throws -> String {
        struct Version: Decodable {
            let Version: String
            let ApiVersion: String
        }
        let body = try expect(await call(.GET, "/version", timeout: .seconds(5)))
        let version = try JSONDecoder().decode(Version.self, from: body)
        return "Docker \(version.Version) (API \(version.ApiVersion))"
    }
}
