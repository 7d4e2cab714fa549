import CMongoC
import NIOCore
import Platform

/// One GridFS upload in progress (`mongoc_gridfs_bucket` upload stream). It holds a pooled
/// client until `finish` or `abort`; its calls run one after another on the client's threads.
public final class GridFSUpload: @unchecked Sendable {
    // @unchecked: the handles below are touched only inside `MongoClient.run`, and the
    // caller awaits each call before the next, so never by two threads at once.
    fileprivate var client: OpaquePointer?
    fileprivate var database: OpaquePointer?
    fileprivate var bucket: OpaquePointer?
    fileprivate var stream: UnsafeMutablePointer<mongoc_stream_t>?
    fileprivate let pool: OpaquePointer

    fileprivate init(pool: OpaquePointer) {
        self.pool = pool
    }

    /// Releases whatever is still held (after finish/abort, nothing).
    fileprivate func release() {
        if let stream { mongoc_stream_destroy(stream) }
        if let bucket { mongoc_gridfs_bucket_destroy(bucket) }
        if let database { mongoc_database_destroy(database) }
        if let client { mongoc_client_pool_push(pool, client) }
        (stream, bucket, database, client) = (nil, nil, nil, nil)
    }

    deinit { release() }
}

extension MongoClient {
    /// GridFS's default chunk size (255 KiB), which ranged reads rely on.
    public static let gridFSChunkSize = 255 * 1024

    /// Opens an upload of a file whose `_id` is `fileID` into `bucket` (`<bucket>.files`,
    /// `<bucket>.chunks`).
    public func openUpload(bucket name: String, fileID: String) async throws -> GridFSUpload {
        try await onThread { [self] in
            // Popped here and returned by `release`, after finish or abort.
            let client = mongoc_client_pool_pop(pool)!
            let upload = GridFSUpload(pool: pool)
            upload.client = client
            do {
                upload.database = mongoc_client_get_database(client, database)
                var error = bson_error_t()
                let options = try BSON.make([
                    "bucketName": .string(name), "chunkSizeBytes": .int(Int64(Self.gridFSChunkSize)),
                ])
                defer { bson_destroy(options) }
                guard let bucket = mongoc_gridfs_bucket_new(upload.database, options, nil, &error) else {
                    throw MongoError(error)
                }
                upload.bucket = bucket
                upload.stream = try Self.withStringValue(fileID) { id -> UnsafeMutablePointer<mongoc_stream_t> in
                    guard let stream = mongoc_gridfs_bucket_open_upload_stream_with_id(bucket, id, fileID, nil, &error)
                    else { throw MongoError(error) }
                    return stream
                }
                return upload
            } catch {
                upload.release()
                throw error
            }
        }
    }

    public func write(_ bytes: ByteBuffer, to upload: GridFSUpload) async throws {
        try await onThread {
            guard let stream = upload.stream else { throw MongoError(code: 0, message: "the upload is closed") }
            try bytes.withUnsafeReadableBytes { buffer in
                guard let base = buffer.baseAddress, buffer.count > 0 else { return }
                var vector = mongoc_iovec_t(iov_base: UnsafeMutableRawPointer(mutating: base), iov_len: buffer.count)
                guard mongoc_stream_writev(stream, &vector, 1, 0) == buffer.count else {
                    throw MongoError(code: 0, message: "GridFS refused a chunk of the upload")
                }
            }
        }
    }

    /// Writes the last chunk and the files document: the file exists from here on.
    public func finish(_ upload: GridFSUpload) async throws {
        try await onThread {
            defer { upload.release() }
            guard let stream = upload.stream else { throw MongoError(code: 0, message: "the upload is closed") }
            guard mongoc_stream_close(stream) == 0 else {
                throw MongoError(code: 0, message: "GridFS could not complete the upload")
            }
        }
    }

    /// Deletes the chunks written so far; the file never existed.
    public func abort(_ upload: GridFSUpload) async {
        _ = try? await onThread {
            if let stream = upload.stream { _ = mongoc_gridfs_bucket_abort_upload(stream) }
            upload.release()
        }
    }

    /// Removes a file and its chunks.
    public func deleteFile(bucket name: String, fileID: String) async throws {
        try await run { connection in
            let database = mongoc_client_get_database(connection.client, connection.database)
            defer { mongoc_database_destroy(database) }
            var error = bson_error_t()
            let options = try BSON.make(["bucketName": .string(name)])
            defer { bson_destroy(options) }
            guard let bucket = mongoc_gridfs_bucket_new(database, options, nil, &error) else { throw MongoError(error) }
            defer { mongoc_gridfs_bucket_destroy(bucket) }
            try Self.withStringValue(fileID) { id in
                guard mongoc_gridfs_bucket_delete_by_id(bucket, id, &error) else { throw MongoError(error) }
            }
        }
    }

    /// Chunks `first..<end` of a file, in order, as stored (`<bucket>.chunks`, field `data`):
    /// a ranged read fetches only the chunks it needs.
    public func chunks(bucket name: String, fileID: String, _ numbers: Range<Int>) async throws -> [ByteBuffer] {
        let filter: JSONValue = [
            "files_id": .string(fileID),
            "n": ["$gte": .int(Int64(numbers.lowerBound)), "$lt": .int(Int64(numbers.upperBound))],
        ]
        return try await run { connection in
            try connection.find("\(name).chunks", filter: filter, sort: [("n", false)], limit: nil) {
                BSON.binary($0, key: "data") ?? ByteBuffer()
            }
        }
    }

    /// `bson_value_t` holding `text`, valid inside `body`.
    private static func withStringValue<T>(
        _ text: String, _ body: (UnsafePointer<bson_value_t>) throws -> T
    ) rethrows -> T {
        try text.withCString { pointer in
            var value = bson_value_t()
            value.value_type = BSON_TYPE_UTF8
            value.value.v_utf8.str = UnsafeMutablePointer(mutating: pointer)
            value.value.v_utf8.len = UInt32(text.utf8.count)
            return try withUnsafePointer(to: &value) { try body($0) }
        }
    }
}
