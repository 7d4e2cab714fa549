import NIOCore
import Synchronization

/// Stands between the client's request body and AsyncHTTPClient's upload task, so the body has
/// one reader at a time.
///
/// The body is one NIO stream that allows a single waiting `next()`. When the upstream answers
/// before reading the whole body (a 401, 404 or 413 to a large or late upload), AsyncHTTPClient's
/// upload task may still be waiting for the client's next chunk — and once the handler returns,
/// Hummingbird drains the rest of the body itself. Two waiters trap the process. The proxy
/// therefore closes the gate before it is done with a request: every later `next()` of the
/// upload ends the body at once, and `close()` returns only when the one in flight has.
final class UploadGate: Sendable {
    private struct State {
        var closed = false
        var readerInFlight = false
        var waiters: [CheckedContinuation<Void, Never>] = []
    }

    private let state = Mutex(State())

    /// The body as the upload reads it.
    func guarding<Base: AsyncSequence & Sendable>(_ body: Base) -> GatedBody<Base> where Base.Element == ByteBuffer {
        GatedBody(base: body, gate: self)
    }

    /// Stops the upload reading and waits for a read it already started; after this the body
    /// is the server's to drain.
    func close() async {
        await withCheckedContinuation { continuation in
            let resumeNow = state.withLock { state in
                state.closed = true
                guard state.readerInFlight else { return true }
                state.waiters.append(continuation)
                return false
            }
            if resumeNow { continuation.resume() }
        }
    }

    /// False once closed: the reader must then end the body without touching it.
    fileprivate func beginRead() -> Bool {
        state.withLock { state in
            guard !state.closed else { return false }
            state.readerInFlight = true
            return true
        }
    }

    fileprivate func endRead() {
        let waiters = state.withLock { state in
            state.readerInFlight = false
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.resume() }
    }
}

struct GatedBody<Base: AsyncSequence & Sendable>: AsyncSequence, Sendable where Base.Element == ByteBuffer {
    typealias Element = ByteBuffer
    let base: Base
    let gate: UploadGate

    struct AsyncIterator: AsyncIteratorProtocol {
        var base: Base.AsyncIterator
        let gate: UploadGate

        mutating func next() async throws -> ByteBuffer? {
            guard gate.beginRead() else { return nil }
            defer { gate.endRead() }
            return try await base.next()
        }
    }

    func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(base: base.makeAsyncIterator(), gate: gate)
    }
}
