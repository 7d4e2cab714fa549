import Testing

@testable import ComputeAgent

/// What a job's `::mlex metric` lines become: the values data and MLflow's server keep.
struct LineProtocolTests {
    private func metricValue(_ line: String) -> Double? {
        guard case .metric(_, let value, _) = LineProtocol.parse(line) else { return nil }
        return value
    }

    @Test func aMetricLineCarriesItsKeyValueAndStep() {
        #expect(LineProtocol.parse("::mlex metric loss 0.25 3") == .metric(key: "loss", value: 0.25, step: 3))
        #expect(LineProtocol.parse("::mlex metric loss 0.25") == .metric(key: "loss", value: 0.25, step: nil))
    }

    @Test func aNaNValueIsKeptAsNaN() {
        // What the Python client writes, and what Python's own repr writes.
        #expect(metricValue("::mlex metric loss NaN 7")?.isNaN == true)
        #expect(metricValue("::mlex metric loss nan")?.isNaN == true)
    }

    @Test func infinitiesBecomeTheLargestDoubleOfTheirSign() {
        #expect(metricValue("::mlex metric loss inf") == .greatestFiniteMagnitude)
        #expect(metricValue("::mlex metric loss -Infinity") == -.greatestFiniteMagnitude)
        #expect(metricValue("::mlex metric loss 1.7976931348623157e+308") == .greatestFiniteMagnitude)
    }

    @Test func aValueThatIsNoNumberIsMalformed() {
        guard case .malformed(_, let reason) = LineProtocol.parse("::mlex metric loss abc") else {
            Issue.record("not malformed")
            return
        }
        #expect(reason.contains("a number"))
        guard case .malformed = LineProtocol.parse("::mlex metric loss 1 two") else {
            Issue.record("a step that is no integer was taken")
            return
        }
    }
}
