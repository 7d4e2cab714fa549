import Hummingbird

extension ResponseBody {
    /// The same body, calling `action` once it has been written to the client (or failed to be):
    /// the moment a request is really answered, for logs and latency metrics.
    func afterWrite(_ action: @escaping @Sendable () -> Void) -> ResponseBody {
        let body = self
        return ResponseBody(contentLength: body.contentLength) { writer in
            defer { action() }
            try await body.write(writer)
        }
    }
}
