import CRdKafka

extension KafkaProducer {
    /// The settings the broker reports for `topic` (the admin API's DescribeConfigs), e.g. the
    /// `retention.ms` it was created with. Blocks up to `timeout`.
    public func topicConfiguration(_ topic: String, timeout: Duration = .seconds(10)) throws -> [String: String] {
        guard let resource = rd_kafka_ConfigResource_new(RD_KAFKA_RESOURCE_TOPIC, topic) else {
            throw KafkaError(message: "cannot describe topic \(topic)")
        }
        defer { rd_kafka_ConfigResource_destroy(resource) }
        let queue = rd_kafka_queue_new(client)
        defer { rd_kafka_queue_destroy(queue) }
        var resources: [OpaquePointer?] = [resource]
        rd_kafka_DescribeConfigs(client, &resources, 1, nil, queue)
        guard let event = rd_kafka_queue_poll(queue, Int32(timeout.components.seconds * 1000)) else {
            throw KafkaError(message: "the broker did not answer DescribeConfigs for \(topic)")
        }
        defer { rd_kafka_event_destroy(event) }
        if rd_kafka_event_error(event) != RD_KAFKA_RESP_ERR_NO_ERROR { throw KafkaError(rd_kafka_event_error(event)) }
        var count = 0
        guard let result = rd_kafka_event_DescribeConfigs_result(event),
            let described = rd_kafka_DescribeConfigs_result_resources(result, &count)
        else { return [:] }
        var settings: [String: String] = [:]
        for index in 0..<count {
            let error = rd_kafka_ConfigResource_error(described[index])
            if error != RD_KAFKA_RESP_ERR_NO_ERROR { throw KafkaError(error) }
            var entryCount = 0
            guard let entries = rd_kafka_ConfigResource_configs(described[index], &entryCount) else { continue }
            for entry in 0..<entryCount {
                guard let name = rd_kafka_ConfigEntry_name(entries[entry]) else { continue }
                settings[String(cString: name)] = rd_kafka_ConfigEntry_value(entries[entry]).map { String(cString: $0) }
            }
        }
        return settings
    }
}
