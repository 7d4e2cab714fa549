import Foundation
import NIOCore

/// A file descriptor owned by one upload or download. Its methods block: call them on a thread
/// pool. `@unchecked Sendable` because the descriptor is only ever used by one task at a time.
final class PosixFile: @unchecked Sendable {
    private var descriptor: Int32

    init(creating path: String) throws {
        descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o640)
        guard descriptor >= 0 else { throw Self.error("open", path) }
    }

    /// nil when there is no such file.
    init?(reading path: String) throws {
        descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            if errno == ENOENT { return nil }
            throw Self.error("open", path)
        }
    }

    deinit { close() }

    func write(_ buffer: ByteBuffer) throws {
        try buffer.withUnsafeReadableBytes { raw in
            var offset = 0
            while offset < raw.count {
                let written = Glibc.write(descriptor, raw.baseAddress! + offset, raw.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    throw Self.error("write", "blob")
                }
                offset += written
            }
        }
    }

    func read(count: Int, at offset: Int64) throws -> ByteBuffer {
        var buffer = ByteBufferAllocator().buffer(capacity: count)
        let read = try buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: count) { raw in
            while true {
                let result = pread(descriptor, raw.baseAddress, count, off_t(offset))
                if result >= 0 { return result }
                if errno != EINTR { throw Self.error("read", "blob") }
            }
        }
        guard read > 0 else { throw BlobError(.io, "the blob ended early (truncated on disk?)") }
        return buffer
    }

    func size() throws -> Int64 {
        var status = Glibc.stat()
        guard fstat(descriptor, &status) == 0 else { throw Self.error("fstat", "blob") }
        return Int64(status.st_size)
    }

    func sync() throws {
        guard fsync(descriptor) == 0 else { throw Self.error("fsync", "blob") }
    }

    func close() {
        if descriptor >= 0 {
            Glibc.close(descriptor)
            descriptor = -1
        }
    }

    static func error(_ call: String, _ path: String) -> BlobError {
        BlobError(.io, "\(call) \(path): \(String(cString: strerror(errno)))")
    }
}
