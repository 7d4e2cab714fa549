import Foundation
import Testing

/// doc_compose/images/host/Dockerfile (images from the host's build, for machines without a
/// registry) must make the same images as the repository's Dockerfile: its targets are written
/// out again rather than shared, since one compiles and the other only copies, so this keeps
/// the two from drifting. Without Docker: the files are read.
@Suite struct HostDockerfileTests {
    @Test(
        "the host-build Dockerfile has every target of the registry one, each with the same lines but its COPY sources")
    func sameTargets() throws {
        let registry = Dockerfile(try repositoryText("Dockerfile"))
        let host = Dockerfile(try repositoryText("doc_compose/images/host/Dockerfile"))
        let targets = registry.stages.keys.filter { $0 != "build" && $0 != "runtime" }
        #expect(targets.count == 9, "\(targets.sorted())")
        #expect(Set(host.stages.keys) == Set(targets).union(["runtime", "binaries"]), "\(host.stages.keys.sorted())")
        for target in targets.sorted() {
            let expected = Self.essence(try #require(registry.stages[target]))
            let actual = Self.essence(try #require(host.stages[target], "no target \(target)"))
            #expect(actual == expected, "target \(target)")
        }
    }

    /// A stage's lines without comments and blank lines, each COPY reduced to what it puts
    /// where: the executables by name (their source stage differs), other trees by destination.
    static func essence(_ stage: DockerStage) -> [String] {
        stage.lines.compactMap { line in
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty || trimmed.hasPrefix("#") { return nil }
            guard trimmed.hasPrefix("COPY ") else { return trimmed }
            let words = trimmed.split(separator: " ").map(String.init).filter { !$0.hasPrefix("--") }.dropFirst()
            guard let destination = words.last else { return trimmed }
            let sources = words.dropLast()
            return destination == "/usr/local/bin/"
                ? "COPY \(sources.map { URL(fileURLWithPath: $0).lastPathComponent }.joined(separator: " ")) \(destination)"
                : "COPY \(destination)"
        }
    }
}
