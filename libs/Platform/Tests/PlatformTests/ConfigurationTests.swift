import Configuration
import Foundation
import PlatformTesting
import Testing

@testable import Platform

@Suite("Configuration")
struct ConfigurationTests {
    /// Writes `config/mlex.env` and `config/data.env` and returns the directory.
    func configDirectory(common: String, service: String) throws -> URL {
        let directory = try temporaryDirectory()
        try common.write(to: directory.appendingPathComponent("mlex.env"), atomically: true, encoding: .utf8)
        try service.write(to: directory.appendingPathComponent("data.env"), atomically: true, encoding: .utf8)
        return directory
    }

    @Test("command line beats environment beats service file beats common file beats default")
    func precedence() async throws {
        let directory = try configDirectory(
            common: "MLEX_DATA_PORT=9001\nMLEX_DATA_HOST=10.0.0.1\nMLEX_LOG_LEVEL=debug\nMLEX_STATE_DIR=/from-common\n",
            service: "MLEX_DATA_PORT=9002\nMLEX_DATA_HOST=10.0.0.2\nMLEX_LOG_LEVEL=warning\n"
        )
        let environment = ["MLEX_CONFIG_DIR": directory.path, "MLEX_DATA_PORT": "9003", "MLEX_DATA_HOST": "10.0.0.3"]
        let reader = try await ConfigLoader.load(
            service: .data, arguments: ["mlex-data", "--mlex-data-port", "9004"], environment: environment
        )
        let settings = try ServiceSettings(service: .data, reader: reader)
        #expect(settings.port == 9004)  // command line
        #expect(settings.host == "10.0.0.3")  // environment
        #expect(settings.logLevel == .warning)  // config/data.env
        #expect(settings.stateDirectory.path == "/from-common")  // config/mlex.env
        #expect(settings.maxBodyBytes == HTTPSettings.defaultMaxBodyBytes)  // default
        #expect(settings.peerURLs[.compute] == "http://127.0.0.1:8080")
    }

    @Test("a service file only applies to its own service")
    func serviceScope() async throws {
        let directory = try configDirectory(common: "", service: "MLEX_LOG_FORMAT=json\n")
        let reader = try await ConfigLoader.load(
            service: .users, arguments: [], environment: ["MLEX_CONFIG_DIR": directory.path])
        let settings = try ServiceSettings(service: .users, reader: reader)
        #expect(settings.logFormat == .text)
        #expect(settings.port == 8081)
    }

    @Test("every default port matches docs/design.md")
    func defaultPorts() {
        let ports = Dictionary(uniqueKeysWithValues: ServiceName.allCases.map { ($0.rawValue, $0.defaultPort) })
        #expect(
            ports == [
                "web": 8000, "compute": 8080, "users": 8081, "data": 8082, "ingest": 8083, "mlhub": 8084, "tag": 8085,
            ])
    }

    @Test(
        "an unusable value stops start-up and names the key",
        arguments: [
            ("MLEX_DATA_PORT", "eighty", "mlex.data.port"),
            ("MLEX_DATA_PORT", "70000", "mlex.data.port"),
            ("MLEX_LOG_FORMAT", "xml", "mlex.log.format"),
            ("MLEX_COMPUTE_URL", "not a url", "mlex.compute.url"),
        ])
    func invalidValues(variable: String, value: String, key: String) async throws {
        let reader = try await ConfigLoader.load(
            service: .data, arguments: [], environment: ["MLEX_CONFIG_DIR": "/nonexistent", variable: value])
        let error = #expect(throws: ConfigurationError.self) { try ServiceSettings(service: .data, reader: reader) }
        #expect(error?.setting.key == key)
        #expect(error?.description.contains(variable) == true)
    }

    @Test("every setting is documented in docs/configuration.md")
    func documented() throws {
        let docs = try String(
            contentsOf: repositoryRoot().appendingPathComponent("docs/configuration.md"), encoding: .utf8)
        let missing = Settings.all.filter { !docs.contains($0.environmentName) }.map(\.environmentName)
        #expect(missing.isEmpty, "undocumented settings: \(missing)")
        #expect(docs.contains(ConfigLoader.configDirVariable))
    }

    @Test("the shipped config/ files only name documented settings")
    func shippedFiles() throws {
        let directory = repositoryRoot().appendingPathComponent("config")
        let known = Set(Settings.all.map(\.environmentName))
        for file in try FileManager.default.contentsOfDirectory(atPath: directory.path) where file.hasSuffix(".env") {
            let text = try String(contentsOf: directory.appendingPathComponent(file), encoding: .utf8)
            for line in text.split(separator: "\n") where !line.hasPrefix("#") && line.contains("=") {
                let name = String(line.prefix { $0 != "=" })
                #expect(known.contains(name), "\(file) sets unknown \(name)")
            }
        }
    }
}
