import CRdKafka

/// An error from librdkafka or the broker, with its code and librdkafka's words for it.
public struct KafkaError: Error, CustomStringConvertible, Sendable {
    public let code: Int32
    public let message: String

    init(_ code: rd_kafka_resp_err_t) {
        self.code = code.rawValue
        self.message = String(cString: rd_kafka_err2str(code))
    }

    init(message: String) {
        self.code = -1
        self.message = message
    }

    public var description: String { "Kafka error \(code): \(message)" }
}

/// librdkafka's configuration object, filled from key/value pairs (errors name the key).
func makeConfiguration(_ settings: [String: String]) throws -> OpaquePointer {
    let configuration = rd_kafka_conf_new()!
    var errorText = [CChar](repeating: 0, count: 512)
    for (key, value) in settings.sorted(by: { $0.key < $1.key }) {
        guard rd_kafka_conf_set(configuration, key, value, &errorText, errorText.count) == RD_KAFKA_CONF_OK else {
            rd_kafka_conf_destroy(configuration)
            throw KafkaError(message: "\(key)=\(value): \(text(errorText))")
        }
    }
    return configuration
}

/// Creates a client of `type` from `configuration` (which it then owns).
func makeClient(_ type: rd_kafka_type_t, _ configuration: OpaquePointer) throws -> OpaquePointer {
    var errorText = [CChar](repeating: 0, count: 512)
    guard let client = rd_kafka_new(type, configuration, &errorText, errorText.count) else {
        rd_kafka_conf_destroy(configuration)
        throw KafkaError(message: text(errorText))
    }
    return client
}

/// The C string in an error buffer librdkafka filled.
func text(_ buffer: [CChar]) -> String {
    String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
}
