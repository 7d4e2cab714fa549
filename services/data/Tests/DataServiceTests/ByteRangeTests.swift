import HTTPTypes
import Platform
import PlatformTesting
import Testing

@testable import DataService

@Suite("data: every Range form against files of 0, 1 and 10 bytes answers 206 or 416, never a crash")
struct ByteRangeTests {
    /// Each header, the bytes a 10-byte file answers with (nil: 416).
    static let tenByteFile: [(String, Range<Int>?)] = [
        ("bytes=0-9", 0..<10), ("bytes=2-4", 2..<5), ("bytes=9-9", 9..<10),
        ("bytes=5-200", 5..<10), ("bytes=0-9223372036854775807", 0..<10),
        ("bytes=3-", 3..<10), ("bytes=-3", 7..<10), ("bytes=-10", 0..<10), ("bytes=-200", 0..<10),
        ("bytes=100-200", nil), ("bytes=10-", nil), ("bytes=10-20", nil), ("bytes=5-2", nil),
        ("bytes=-0", nil), ("bytes=-", nil), ("bytes=", nil), ("bytes=1--5", nil), ("bytes=-5-", nil),
        ("bytes=0-1,4-5", nil), ("bytes=a-b", nil), ("lines=1-2", nil), ("bytes=+1-2", nil),
        ("bytes=99999999999999999999-", nil), ("bytes=-99999999999999999999", nil),
    ]

    @Test("parsing: each form's range or a 416", arguments: tenByteFile)
    func parse(header: String, expected: Range<Int>?) throws {
        if let expected {
            let range = try ByteRange.parse(header, size: 10)
            #expect(range.map { Int($0.lowerBound)..<Int($0.upperBound) } == expected)
        } else {
            let error = #expect(throws: APIError.self) { try ByteRange.parse(header, size: 10) }
            #expect(error?.status == .rangeNotSatisfiable)
        }
    }

    @Test(
        "empty and one-byte files",
        arguments: [
            "bytes=0-0", "bytes=0-", "bytes=-1", "bytes=-5", "bytes=1-", "bytes=100-200", "bytes=0-9223372036854775807",
        ])
    func tinyFiles(header: String) throws {
        #expect(throws: APIError.self) { try ByteRange.parse(header, size: 0) }
        let oneByte = try? ByteRange.parse(header, size: 1)
        let served = ["bytes=0-0", "bytes=0-", "bytes=-1", "bytes=-5", "bytes=0-9223372036854775807"].contains(header)
        #expect(oneByte == (served ? 0..<1 : nil))
    }

    @Test("over HTTP: a stored file answers every form with 206 and the right bytes or 416")
    func overHTTP() async throws {
        let owner = try await newUser()
        try await dataApp().test(.router) { client in
            let (_, experiment) = try await client.projectAndExperiment(owner.token)
            let run = try await client.newRun(owner.token, experiment: experiment)
            for size in [0, 1, 10] {
                let content = FileTests.bytes(size)
                let stored = try await client.upload(owner.token, "/v1/runs/\(run)/files/f\(size)", content)
                #expect(stored.status == .created, "\(stored.body)")
                for (header, _) in Self.tenByteFile {
                    let answer = try await client.download(owner.token, "/v1/runs/\(run)/files/f\(size)", range: header)
                    let expected = try? ByteRange.parse(header, size: Int64(size))
                    if let expected {
                        #expect(answer.status == .partialContent, "\(header) of \(size) bytes")
                        #expect(answer.bytes == Array(content[Int(expected.lowerBound)..<Int(expected.upperBound)]))
                    } else {
                        #expect(answer.status == .rangeNotSatisfiable, "\(header) of \(size) bytes")
                    }
                }
            }
        }
    }
}
