import Foundation
import Testing
@testable import Platform
import PlatformTesting

@Suite("State directory")
struct StateDirectoryTests {
    @Test("a missing secret is generated once, private to its owner, and stable afterwards")
    func generatedSecret() throws {
        let state = StateDirectory(try temporaryDirectory())
        let first = try state.secret(named: "signing-key")
        let second = try state.secret(named: "signing-key")
        #expect(first.count == 32)
        #expect(first == second)
        let attributes = try FileManager.default.attributesOfItem(atPath: state.url.appendingPathComponent("secrets/signing-key").path)
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
        #expect(try state.secret(named: "other") != first)
    }
}
