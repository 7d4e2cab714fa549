import CMongoC
import Foundation
import NIOCore
import Platform

/// JSON documents to and from BSON, keeping the types the platform uses: strings, Int64,
/// doubles (3.0 stays a double), booleans, null, arrays and objects. BSON dates, which we
/// never write, read back as RFC 3339 strings; int32 (what some servers return for small
/// Int64) reads back as an integer.
enum BSON {
    /// A new BSON document owned by the caller (`bson_destroy`), from a JSON object.
    static func make(_ object: JSONValue) throws -> OpaquePointer {
        guard case .object(let members) = object else {
            throw MongoError(code: 0, message: "a BSON document comes from a JSON object")
        }
        let document = bson_new()!
        do {
            for (key, value) in members.sorted(by: { $0.key < $1.key }) {
                try append(value, key: key, to: document)
            }
        } catch {
            bson_destroy(document)
            throw error
        }
        return document
    }

    /// A new BSON document whose members keep the given order (sort specs, index keys).
    static func make(ordered members: [(String, JSONValue)]) throws -> OpaquePointer {
        let document = bson_new()!
        do {
            for (key, value) in members { try append(value, key: key, to: document) }
        } catch {
            bson_destroy(document)
            throw error
        }
        return document
    }

    /// Runs `body` with a temporary ordered BSON document.
    static func with<T>(ordered members: [(String, JSONValue)], _ body: (OpaquePointer) throws -> T) throws -> T {
        let document = try make(ordered: members)
        defer { bson_destroy(document) }
        return try body(document)
    }

    /// A sort or index key document, `{field: 1 | -1, …}`, whose order survives the trip to
    /// BSON: JSON objects have none, so it travels as this marked array until `append` sees it.
    static func order(_ fields: MongoSort) -> JSONValue {
        ordered(fields.map { ($0.field, .int($0.descending ? -1 : 1)) })
    }

    /// Any document whose key order matters (a `$sort` stage, a text index's keys), marked the same way.
    static func ordered(_ members: [(String, JSONValue)]) -> JSONValue {
        .array([.string(orderMarker)] + members.map { .array([.string($0.0), $0.1]) })
    }

    private static let orderMarker = "\u{1}mlex-ordered-document"

    /// Runs `body` with a temporary BSON copy of `object`.
    static func with<T>(_ object: JSONValue, _ body: (OpaquePointer) throws -> T) throws -> T {
        let document = try make(object)
        defer { bson_destroy(document) }
        return try body(document)
    }

    private static func append(_ value: JSONValue, key: String, to document: OpaquePointer) throws {
        let keyLength = Int32(key.utf8.count)
        let appended: Bool
        switch value {
        case .string(let text):
            appended = bson_append_utf8(document, key, keyLength, text, Int32(text.utf8.count))
        case .int(let number):
            appended = bson_append_int64(document, key, keyLength, number)
        case .double(let number):
            appended = bson_append_double(document, key, keyLength, number)
        case .bool(let flag):
            appended = bson_append_bool(document, key, keyLength, flag)
        case .null:
            appended = bson_append_null(document, key, keyLength)
        case .object:
            let child = try make(value)
            defer { bson_destroy(child) }
            appended = bson_append_document(document, key, keyLength, child)
        case .array(let elements) where elements.first == .string(orderMarker):
            let pairs = elements.dropFirst().compactMap { pair -> (String, JSONValue)? in
                guard let field = pair.arrayValue?.first?.stringValue, let direction = pair.arrayValue?.last else {
                    return nil
                }
                return (field, direction)
            }
            let child = try make(ordered: pairs)
            defer { bson_destroy(child) }
            appended = bson_append_document(document, key, keyLength, child)
        case .array(let elements):
            let child = bson_new()!
            defer { bson_destroy(child) }
            for (index, element) in elements.enumerated() {
                try append(element, key: String(index), to: child)
            }
            appended = bson_append_array(document, key, keyLength, child)
        }
        // libbson refuses keys with NUL bytes and documents over 2 GB.
        guard appended else { throw MongoError(code: 0, message: "cannot encode \(key.prefix(80)) as BSON") }
    }

    /// The JSON object a BSON document holds.
    static func json(_ document: OpaquePointer) -> JSONValue {
        withIterator { iterator in
            guard bson_iter_init(iterator, document) else { return .object([:]) }
            return .object(members(iterator))
        }
    }

    /// Swift cannot lay out libbson's 128-byte-aligned structs, so they live in memory
    /// allocated with that alignment, for the duration of `body`.
    static func withAligned<T>(size: Int, _ body: (OpaquePointer) throws -> T) rethrows -> T {
        let raw = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 128)
        raw.initializeMemory(as: UInt8.self, repeating: 0, count: size)
        defer { raw.deallocate() }
        return try body(OpaquePointer(raw))
    }

    private static func withIterator<T>(_ body: (OpaquePointer) throws -> T) rethrows -> T {
        try withAligned(size: max(MemoryLayout<bson_iter_t>.size, 128), body)
    }

    /// The bytes of the binary member `key` of a document (GridFS chunks).
    static func binary(_ document: OpaquePointer, key: String) -> ByteBuffer? {
        withIterator { iterator in
            guard bson_iter_init_find(iterator, document, key), bson_iter_type(iterator) == BSON_TYPE_BINARY else {
                return nil
            }
            var subtype = BSON_SUBTYPE_BINARY
            var length: UInt32 = 0
            var bytes: UnsafePointer<UInt8>?
            bson_iter_binary(iterator, &subtype, &length, &bytes)
            guard let bytes else { return ByteBuffer() }
            return ByteBuffer(bytes: UnsafeBufferPointer(start: bytes, count: Int(length)))
        }
    }

    /// A reply document libmongoc fills in (it is always initialized, so always destroyed).
    static func withReply<T>(_ body: (OpaquePointer) throws -> T) rethrows -> T {
        try withAligned(size: 128) { reply in
            bson_init(reply)
            defer { bson_destroy(reply) }
            return try body(reply)
        }
    }

    private static func members(_ iterator: OpaquePointer) -> [String: JSONValue] {
        var members: [String: JSONValue] = [:]
        while bson_iter_next(iterator) {
            members[String(cString: bson_iter_key(iterator))] = value(iterator)
        }
        return members
    }

    private static func value(_ iterator: OpaquePointer) -> JSONValue {
        switch bson_iter_type(iterator) {
        case BSON_TYPE_UTF8:
            var length: UInt32 = 0
            let pointer = bson_iter_utf8(iterator, &length)!
            return .string(String(decoding: UnsafeRawBufferPointer(start: pointer, count: Int(length)), as: UTF8.self))
        case BSON_TYPE_INT64: return .int(bson_iter_int64(iterator))
        case BSON_TYPE_INT32: return .int(Int64(bson_iter_int32(iterator)))
        case BSON_TYPE_DOUBLE: return .double(bson_iter_double(iterator))
        case BSON_TYPE_BOOL: return .bool(bson_iter_bool(iterator))
        case BSON_TYPE_DATE_TIME:
            return .string(Timestamp.format(Date(timeIntervalSince1970: Double(bson_iter_date_time(iterator)) / 1000)))
        case BSON_TYPE_DOCUMENT:
            return withIterator { child in
                guard bson_iter_recurse(iterator, child) else { return .null }
                return .object(members(child))
            }
        case BSON_TYPE_ARRAY:
            return withIterator { child in
                guard bson_iter_recurse(iterator, child) else { return .null }
                var elements: [JSONValue] = []
                while bson_iter_next(child) { elements.append(value(child)) }
                return .array(elements)
            }
        default:
            // ObjectId, decimals, binaries: never written by the platform.
            return .null
        }
    }
}
