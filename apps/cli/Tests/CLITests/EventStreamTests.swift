import Testing

@testable import MLExClient

@Suite("server-sent events")
struct EventStreamTests {
    @Test("events split on blank lines, across chunk boundaries, comments ignored")
    func parses() {
        var parser = EventStreamParser()
        let text = ": keep-alive\nid: 7\nevent: log\ndata: {\"a\":\ndata: 1}\n\nevent: end\r\ndata: {}\r\n\r\n"
        let bytes = Array(text.utf8)
        var events = parser.feed(bytes[..<20])
        events += parser.feed(bytes[20...])
        #expect(
            events == [
                .init(event: "log", id: "7", data: "{\"a\":\n1}"),
                .init(event: "end", id: nil, data: "{}"),
            ])
    }
}
