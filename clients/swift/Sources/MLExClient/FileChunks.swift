import Foundation

/// Bytes moved so far out of a total, reported while a transfer runs.
public typealias TransferProgress = @Sendable (_ done: Int64, _ total: Int64) -> Void

/// A file's bytes in chunks, as an upload body: never the whole file in memory.
struct FileChunks: AsyncSequence, Sendable {
    typealias Element = ByteBufferChunk
    let file: URL
    let progress: TransferProgress?
    let total: Int64

    struct ByteBufferChunk: Sendable { let data: Data }

    func makeAsyncIterator() -> Iterator {
        Iterator(handle: try? FileHandle(forReadingFrom: file), progress: progress, total: total)
    }

    struct Iterator: AsyncIteratorProtocol {
        let handle: FileHandle?
        let progress: TransferProgress?
        let total: Int64
        var sent: Int64 = 0

        mutating func next() async throws -> ByteBufferChunk? {
            guard let handle else { throw CocoaError(.fileReadNoSuchFile) }
            guard let data = try handle.read(upToCount: 1 << 20), !data.isEmpty else {
                try handle.close()
                return nil
            }
            sent += Int64(data.count)
            progress?(sent, total)
            return ByteBufferChunk(data: data)
        }
    }
}
