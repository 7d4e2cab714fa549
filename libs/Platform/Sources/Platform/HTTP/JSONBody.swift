import Foundation
import Hummingbird
import NIOCore

extension Request {
    /// Collects the body up to the context's limit (413 beyond it) and decodes it; malformed
    /// JSON, wrong types, missing fields and unknown enum values become 400s naming the field.
    public func decodeJSON<Value: Decodable>(as type: Value.Type, context: some RequestContext) async throws -> Value {
        let buffer = try await collectJSONBody(context: context)
        do {
            return try JSONDecoder.api.decode(Value.self, from: Data(buffer.readableBytesView))
        } catch let error as DecodingError {
            throw DecodingErrorMapping.apiError(for: error)
        }
    }

    /// The body as a `JSONValue`, for hot paths that check fields by hand: several times
    /// cheaper than `decodeJSON` for bodies of thousands of elements (metric points).
    public func parseJSON(context: some RequestContext) async throws -> JSONValue {
        let buffer = try await collectJSONBody(context: context)
        do {
            return try JSONValue.parse(String(buffer: buffer))
        } catch let error as JSONParseError {
            throw APIError.badRequest("the body is not valid JSON: \(error)", code: "malformed_json")
        }
    }

    private func collectJSONBody(context: some RequestContext) async throws -> ByteBuffer {
        // A declared length over the limit is refused before a byte is read.
        if let declared = self.headers[.contentLength].flatMap(Int.init), declared > context.maxUploadSize {
            throw APIError.contentTooLarge(limit: context.maxUploadSize)
        }
        let buffer: ByteBuffer
        do {
            buffer = try await self.body.collect(upTo: context.maxUploadSize)
        } catch let error as HTTPError where error.status == .contentTooLarge {
            throw APIError.contentTooLarge(limit: context.maxUploadSize)
        } catch is NIOTooManyBytesError {
            // What a chunked body (no declared length) throws once it grows past the limit.
            throw APIError.contentTooLarge(limit: context.maxUploadSize)
        }
        if buffer.readableBytes == 0 {
            throw APIError.badRequest("request body is empty; a JSON object is expected", code: "malformed_json")
        }
        if JSONNesting.exceeds(buffer.readableBytesView) {
            throw APIError.badRequest(
                "the body nests arrays and objects more than \(JSONNesting.limit) deep", code: "nested_too_deeply")
        }
        return buffer
    }
}

/// A JSON response with a chosen status, encoded with the platform's conventions.
public struct JSONResponse<Value: Encodable & Sendable>: ResponseGenerator {
    public let status: HTTPResponse.Status
    public let value: Value

    public init(_ value: Value, status: HTTPResponse.Status = .ok) {
        self.status = status
        self.value = value
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "application/json; charset=utf-8"
        // Documents built at run time take the direct writer (same sorted keys, same bytes).
        if let json = value as? JSONValue {
            return Response(
                status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: json.jsonText)))
        }
        let data = try JSONEncoder.api.encode(value)
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}

extension Parameters {
    /// A path id that is not a well-formed UUID names nothing here: 404, as docs/design.md §4 says.
    public func requireID(_ name: String) throws -> String {
        guard let value = self.get(name), ID.isValid(value) else {
            throw APIError.notFound("no \(name) with this id")
        }
        return value
    }
}
