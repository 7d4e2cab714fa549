import Testing
import Wire

@testable import MLExCLI

@Suite("CLISession: terminado's messages, UTF-8 chunks and the detach keys")
struct CLISessionMessageTests {
    @Test("messages are the JSON arrays terminado speaks, both ways")
    func messages() throws {
        #expect(TerminalMessage.stdin("ls\r").text == #"["stdin","ls\r"]"#)
        #expect(try JSONValue.parse(TerminalMessage.setSize(rows: 30, columns: 100).text) == ["set_size", 30, 100])
        #expect(TerminalMessage(text: #"["stdout", "é\r\n"]"#) == .stdout("é\r\n"))
        #expect(TerminalMessage(text: #"["setup", {}]"#) == .setup)
        #expect(TerminalMessage(text: #"["disconnect", 1]"#) == .disconnect)
        #expect(TerminalMessage(text: #"["set_size", 24, 80]"#) == .setSize(rows: 24, columns: 80))
        #expect(TerminalMessage(text: #"["shell_exited"]"#) == .other("shell_exited"))
        #expect(TerminalMessage(text: "not json") == nil)
        #expect(TerminalMessage(text: "{}") == nil)
        for message in [
            TerminalMessage.stdin("a\"b"), .stdout("x"), .setup, .disconnect, .setSize(rows: 1, columns: 2),
        ] {
            #expect(TerminalMessage(text: message.text) == message)
        }
    }

    @Test("a character cut between reads waits for its last bytes; invalid bytes become U+FFFD")
    func utf8Chunks() {
        let bytes = Array("aé€😀".utf8)  // 1 + 2 + 3 + 4 bytes
        for cut in 0...bytes.count {
            var chunker = UTF8Chunker()
            let text = chunker.text(bytes[..<cut]) + chunker.text(bytes[cut...]) + chunker.flush()
            #expect(text == "aé€😀", "cut at \(cut)")
        }
        var oneByOne = UTF8Chunker()
        #expect(bytes.map { oneByOne.text([$0]) }.joined() == "aé€😀")
        var chunker = UTF8Chunker()
        #expect(chunker.text([0x61, 0xF0, 0x9F]) == "a")
        #expect(chunker.flush() == "\u{FFFD}")
        #expect(chunker.text([0xFF, 0x62]) == "\u{FFFD}b")
        #expect(chunker.text([0x80, 0x80, 0x80, 0x80]) == "\u{FFFD}\u{FFFD}\u{FFFD}\u{FFFD}")
        #expect(chunker.text([]) == "")
    }

    @Test("Ctrl-] q detaches; Ctrl-] twice is one Ctrl-]; Ctrl-] then another key sends both")
    func detachKeys() {
        var keys = DetachKeys()
        #expect(keys.filter(Array("ls\r".utf8)) == (Array("ls\r".utf8), false))
        #expect(keys.filter([0x1D]) == ([], false))
        #expect(keys.filter([0x1D]) == ([0x1D], false))
        #expect(keys.filter([0x1D, 0x61]) == ([0x1D, 0x61], false))
        #expect(keys.filter([0x62, 0x1D]) == ([0x62], false))
        #expect(keys.filter([0x71, 0x63]) == ([], true))
    }
}
