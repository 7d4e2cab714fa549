import Blobs
import NIOCore

/// The bytes of several blobs one after another, read as they are consumed (the parts of a
/// resumable upload on their way into one blob): memory stays at a chunk or two.
struct ConcatenatedBlobs: AsyncSequence, Sendable {
    typealias Element = ByteBuffer

    let blobs: any BlobStore
    let ids: [String]

    struct AsyncIterator: AsyncIteratorProtocol {
        let blobs: any BlobStore
        var remaining: ArraySlice<String>
        var current: AsyncThrowingStream<ByteBuffer, any Error>.AsyncIterator?

        mutating func next() async throws -> ByteBuffer? {
            while true {
                if current == nil {
                    guard let id = remaining.popFirst() else { return nil }
                    current = try await blobs.get(id).makeAsyncIterator()
                }
                if let chunk = try await current?.next() { return chunk }
                current = nil
            }
        }
    }

    func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(blobs: blobs, remaining: ids[...], current: nil)
    }
}
