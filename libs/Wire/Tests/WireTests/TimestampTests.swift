import Foundation
import Testing
import Wire

@Suite("Timestamps on the wire")
struct TimestampTests {
    @Test("format keeps milliseconds and survives any number of round trips")
    func roundTrip() throws {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<10_000 {
            let date = Date(timeIntervalSince1970: Double.random(in: -1e9...4e9, using: &generator))
            let text = Timestamp.format(date)
            let parsed = try #require(Timestamp.parse(text), "\(text)")
            #expect(Timestamp.format(parsed) == text)
            #expect(abs(parsed.timeIntervalSince(date)) <= 0.0005 + 1e-6)
        }
    }

    @Test("known instants, offsets and times without a fraction")
    func knownValues() {
        #expect(Timestamp.format(Date(timeIntervalSince1970: 0)) == "1970-01-01T00:00:00.000Z")
        #expect(Timestamp.format(Date(timeIntervalSince1970: -0.001)) == "1969-12-31T23:59:59.999Z")
        #expect(
            Timestamp.format(Date(timeIntervalSince1970: 1.9996)) == "1970-01-01T00:00:02.000Z",
            "rounds, carrying into the second")
        #expect(Timestamp.parse("2026-11-23T16:45:19Z").map(Timestamp.format) == "2026-11-23T16:45:19.000Z")
        #expect(Timestamp.parse("2026-11-23T17:45:19.363+01:00").map(Timestamp.format) == "2026-11-23T16:45:19.363Z")
        #expect(Timestamp.parse("yesterday") == nil)
    }
}
