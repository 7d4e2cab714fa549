import Foundation
import PlatformTesting
import Testing

@testable import Platform

@Suite("State directory")
struct StateDirectoryTests {
    @Test("a missing secret is generated once, private to its owner, and stable afterwards")
    func generatedSecret() throws {
        let state = StateDirectory(try temporaryDirectory())
        let first = try state.secret(named: "signing-key")
        let second = try state.secret(named: "signing-key")
        #expect(first.count == 32)
        #expect(first == second)
        let attributes = try FileManager.default.attributesOfItem(
            atPath: state.url.appendingPathComponent("secrets/signing-key").path)
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
        #expect(try state.secret(named: "other") != first)
    }

    @Test("the directory is its owner's only (0700), new or left open by an older version")
    func privateDirectory() throws {
        let parent = try temporaryDirectory()
        let fresh = StateDirectory(parent.appendingPathComponent("new/state"))
        try fresh.prepare()
        #expect(try mode(fresh.url) == 0o700)
        let old = StateDirectory(parent.appendingPathComponent("old"))
        try FileManager.default.createDirectory(
            at: old.url, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o755])
        try old.prepare()
        #expect(try mode(old.url) == 0o700)
    }

    private func mode(_ url: URL) throws -> Int {
        try #require(FileManager.default.attributesOfItem(atPath: url.path)[.posixPermissions] as? Int) & 0o777
    }
}
