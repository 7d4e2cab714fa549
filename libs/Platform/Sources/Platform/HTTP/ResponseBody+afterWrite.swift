import Hummingbird

extension ResponseBody {
    /// The same body, calling `action` once it has been written to the client (or failed to be):
    /// the moment a request is really answered, for logs and latency metrics.
    ///
    /// A body of a known length up to `answeredInMemoryBytes` (every API answer: JSON made whole
    /// before it is returned) is left as it is and `action` runs at once. Wrapped, it would lose
    /// the server's fast path — head, body and end in one write to the connection — for three
    /// separate hops to the event loop, which cost a small request more than its handler; what
    /// is left to do for it (one write) does not change what the log or the histogram say.
    func afterWrite(_ action: @escaping @Sendable () -> Void) -> ResponseBody {
        if let length = contentLength, length <= Self.answeredInMemoryBytes {
            action()
            return self
        }
        let body = self
        return ResponseBody(contentLength: body.contentLength) { writer in
            defer { action() }
            try await body.write(writer)
        }
    }

    /// As `HTTPForwarder.bufferedBodyBytes`: bodies up to this size are read and answered whole.
    static let answeredInMemoryBytes = 1 << 20
}
