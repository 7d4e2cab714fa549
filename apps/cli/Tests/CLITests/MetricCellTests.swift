import Testing
import Wire

@testable import MLExCLI

@Suite("mlex: metric cells")
struct MetricCellTests {
    @Test("a run's NaN metric (null in data's answer) prints NaN; a metric never logged prints -")
    func nan() {
        #expect(Console.metric(.null) == "NaN")
        #expect(Console.metric(nil) == "-")
        #expect(Console.metric(.double(0.25)) == "0.25")
        #expect(Console.metric(.double(-.greatestFiniteMagnitude)) == "-1.79769e+308")
    }
}
