import Foundation
import MLExClient
import PlatformTesting
import Testing
import Wire

@testable import MLExCLI

@Suite("client pieces")
struct ClientPiecesTests {
    @Test("the config is written 0600 in a 0700 directory and read back; MLEX_URL and --url win")
    func configFile() throws {
        let home = try temporaryDirectory()
        let environment = ["HOME": home.path]
        let file = ClientConfig.file(environment: environment)
        #expect(file.path == home.path + "/.config/mlex/config")
        let config = ClientConfig(
            url: "http://example.test:8000", email: "a@b.c", accessToken: "access", refreshToken: "refresh")
        try config.save(to: file)
        let mode = try #require(FileManager.default.attributesOfItem(atPath: file.path)[.posixPermissions] as? NSNumber)
            .intValue
        #expect(mode & 0o777 == 0o600)
        #expect(try ClientConfig.load(from: file) == config)
        #expect(try ClientSettings(environment: environment).url == "http://example.test:8000")
        #expect(
            try ClientSettings(environment: environment.merging(["MLEX_URL": "http://other:1/"]) { $1 }).url
                == "http://other:1")
        #expect(try ClientSettings(environment: environment, urlFlag: "https://flag:2").url == "https://flag:2")
        #expect(
            try ClientSettings(environment: environment.merging(["MLEX_TOKEN": "mlx_abc"]) { $1 }).fixedToken
                == "mlx_abc")
        #expect(throws: ClientError.self) { try ClientSettings(environment: environment, urlFlag: "ftp://nope") }
        #expect(ClientConfig.file(environment: ["HOME": "/h", "XDG_CONFIG_HOME": "/x"]).path == "/x/mlex/config")
    }

    @Test("every kind of failure has its own exit code")
    func exitCodes() {
        func api(_ status: Int) -> ClientError { .api(APIFailure(status: status, code: "c", message: "m", field: nil)) }
        #expect(ExitStatus.of(.usage("x")) == .usage)
        #expect(ExitStatus.of(.notLoggedIn("x")) == .auth)
        #expect(ExitStatus.of(api(401)) == .auth && ExitStatus.of(api(403)) == .auth)
        #expect(ExitStatus.of(api(404)) == .notFound)
        #expect(ExitStatus.of(api(400)) == .rejected && ExitStatus.of(api(422)) == .rejected)
        #expect(ExitStatus.of(api(503)) == .serverError)
        #expect(ExitStatus.of(.unreachable(url: "u", reason: "r")) == .unavailable)
        #expect(Set(ExitStatus.allCases.map(\.rawValue)).count == ExitStatus.allCases.count)
    }

    @Test("a dataset directory is scanned to relative paths with sizes and digests, links not followed")
    func scan() throws {
        let directory = try temporaryDirectory()
        try FileManager.default.createDirectory(
            at: directory.appendingPathComponent("train"), withIntermediateDirectories: true)
        try Data("abc".utf8).write(to: directory.appendingPathComponent("train/a.csv"))
        try Data().write(to: directory.appendingPathComponent("empty"))
        try FileManager.default.createSymbolicLink(
            atPath: directory.appendingPathComponent("link").path, withDestinationPath: "/etc/passwd")
        let files = try DatasetPush.scan(directory)
        #expect(files.map(\.path) == ["empty", "train/a.csv"])
        #expect(files[1].size == 3)
        #expect(files[1].sha256 == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(throws: ClientError.self) { try DatasetPush.scan(directory.appendingPathComponent("empty")) }
    }
}
