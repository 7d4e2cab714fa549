import Hummingbird
import NIOCore
import NIOPosix
import Wire

extension JSONResponse where Value == JSONValue {
    /// The answer made and written out as JSON on NIO's blocking-work threads, not on Swift's
    /// cooperative pool. For big answers: a search page of 100 runs is ~0.5 MB of JSON, and the
    /// cooperative pool has a thread per core — two pages being written left none for a quick
    /// request (a metric write waited behind them). The kernel shares the cores between the
    /// blocking-work threads and the pool by time slice, so the quick request is not queued.
    public static func madeOffPool(
        status: HTTPResponse.Status = .ok, _ make: @escaping @Sendable () throws -> JSONValue
    ) async throws -> Response {
        let json = try await NIOThreadPool.singleton.runIfActive { ByteBuffer(string: try make().jsonText) }
        return response(json, status: status)
    }
}
