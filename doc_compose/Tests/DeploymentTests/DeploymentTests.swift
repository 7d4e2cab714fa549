import Foundation
import Testing
import Yams

/// The Dockerfile and doc_compose/ checked without Docker: no image can be pulled or built
/// here, so these read the files, and what Debian's docker-compose makes of them, against
/// Package.swift, the Makefile and docs/configuration.md.
@Suite struct DeploymentTests {
    let package: PackageExecutables
    let dockerfile: Dockerfile
    let needs: [String: Set<String>]
    let configurationDoc: String

    init() throws {
        package = PackageExecutables(manifest: try repositoryText("Package.swift"))
        dockerfile = Dockerfile(try repositoryText("Dockerfile"))
        needs = makefileNeeds(try repositoryText("Makefile"))
        configurationDoc = try repositoryText("docs/configuration.md")
    }

    /// Every subset's config as docker-compose resolves it; fails (never skips) without it.
    func resolved(_ subset: String) throws -> [String: Any] {
        let runs = try #require(
            composeRuns, "docker-compose is not installed: `make deps` installs it (Debian package docker-compose)")
        let run = try #require(runs[subset])
        try #require(
            run.status == 0, "docker-compose -f doc_compose/\(subset).yml config failed (\(run.status)): \(run.errors)")
        return try composeDocument(run.output)
    }

    @Test("what the tests read is there: the executables, the Makefile's NEEDS lines, the Dockerfile's stages")
    func inputs() {
        #expect(
            package.services == [
                "mlex-web", "mlex-users", "mlex-data", "mlex-compute", "mlex-compute-agent", "mlex-ingest",
                "mlex-mlhub", "mlex-tag",
            ])
        #expect(package.deployable.isSuperset(of: ["mlex", "mlex-compute-supervisor"]))
        #expect(!package.deployable.contains("mlex-bench") && !package.deployable.contains("outbox-crash-child"))
        #expect(needs["compute"]?.contains("mlex-compute-agent") == true)
        #expect(dockerfile.stages["build"] != nil && dockerfile.stages["runtime"] != nil)
        #expect(documentedPort("mlex-compute-agent", configurationDoc: configurationDoc) == 8090)
    }

    @Test("every compose file parses with `docker-compose config`", arguments: subsets)
    func parses(subset: String) throws {
        let services = composeServices(try resolved(subset))
        #expect(!services.isEmpty)
    }

    @Test(
        "each subset runs exactly what the Makefile says it needs, the gateway, MongoDB and Kafka, on the documented ports",
        arguments: subsets)
    func subset(subset: String) throws {
        let problems = composeProblems(
            subset: subset, document: try resolved(subset), dockerfile: dockerfile, package: package,
            needs: needs, configurationDoc: configurationDoc
        )
        #expect(problems.isEmpty, "\(problems.joined(separator: "\n"))")
    }

    @Test(
        "the Dockerfile builds every executable a deployment runs, and each service's target has its port, health check and command"
    )
    func dockerfileNamesEveryExecutable() throws {
        let problems = dockerfileProblems(dockerfile, package: package, configurationDoc: configurationDoc)
        #expect(problems.isEmpty, "\(problems.joined(separator: "\n"))")
        // And every executable a compose file runs is one of them.
        let run = try subsets.flatMap { subset in
            composeServices(try resolved(subset)).values.compactMap {
                ($0["build"] as? [String: Any])?["target"] as? String
            }
        }.compactMap(dockerfile.executable(ofTarget:))
        #expect(Set(run).isSubset(of: Set(dockerfile.products)))
        #expect(Set(run) == package.services)
    }

    @Test("every MLEX_ variable in the deployment files is documented, and none holds a credential")
    func variablesAndSecrets() throws {
        let directory = repository.appendingPathComponent("doc_compose")
        let files =
            try FileManager.default.subpathsOfDirectory(atPath: directory.path)
            .filter { $0.hasSuffix(".yml") || $0.hasSuffix(".env.example") }.map { "doc_compose/\($0)" } + [
                "Dockerfile"
            ]
        #expect(files.count >= subsets.count + 3)  // the subsets, services.yml, an override, the Dockerfile
        for file in files {
            let problems = textProblems(file: file, text: try repositoryText(file), configurationDoc: configurationDoc)
            #expect(problems.isEmpty, "\(problems.joined(separator: "\n"))")
        }
    }

    @Test("the compose files' secrets are gitignored files, never values")
    func secretsStayOutOfGit() throws {
        let ignore = try repositoryText(".gitignore")
        #expect(ignore.contains("/data/*"))
        #expect(ignore.contains("doc_compose/.env"))
        for subset in subsets {
            let secrets = try #require(try resolved(subset)["secrets"] as? [String: Any])
            #expect(
                Set(secrets.keys) == [
                    "admin-password", "service-data", "service-compute", "service-ingest", "service-mlhub",
                    "service-tag", "service-web",
                ])
        }
    }

    // The checks above must be able to fail: each broken input below is caught.

    @Test("a compose file naming an executable Package.swift lacks, or a subset missing a service, is caught")
    func catchesBrokenComposeFiles() throws {
        var document = try resolved("tag")
        var services = composeServices(document)
        var users = try #require(services["users"])
        users["build"] = ["context": ".", "target": "foo"]
        services["users"] = users
        services["data"] = nil
        document["services"] = services
        let foo = "FROM runtime AS foo\nCMD [\"mlex-foo\"]\n"
        let withFoo = Dockerfile(try repositoryText("Dockerfile") + "\n" + foo)
        let problems = composeProblems(
            subset: "tag", document: document, dockerfile: withFoo, package: package, needs: needs,
            configurationDoc: configurationDoc)
        #expect(problems.contains { $0.contains("runs mlex-foo, which Package.swift does not define") })
        #expect(problems.contains { $0.contains("the Makefile says") })
        #expect(
            dockerfileProblems(withFoo, package: package, configurationDoc: configurationDoc).contains {
                $0.contains("mlex-foo")
            })
    }

    @Test("a wrong port, a password in the environment, an undocumented variable or a lost executable is caught")
    func catchesWrongSettings() throws {
        var document = try resolved("users")
        var services = composeServices(document)
        var users = try #require(services["users"])
        users["ports"] = ["127.0.0.1:9081:8081/tcp"]
        users["environment"] = environment(of: users).merging([
            "MLEX_ADMIN_PASSWORD": "correct horse battery", "MLEX_DATA_URL": "http://data:9999",
        ]) { $1 }
        services["users"] = users
        document["services"] = services
        let problems = composeProblems(
            subset: "users", document: document, dockerfile: dockerfile, package: package, needs: needs,
            configurationDoc: configurationDoc)
        #expect(problems.contains { $0.contains("not its documented port 8081") })
        #expect(problems.contains { $0.contains("sets MLEX_ADMIN_PASSWORD") })
        #expect(problems.contains { $0.contains("not on port 8082") })
        let text = textProblems(
            file: "x.yml", text: "MLEX_FOO_BAR: 1\nMLEX_STORE: mongodb://root:hunter2@db/x",
            configurationDoc: configurationDoc)
        #expect(text.count == 2)
        let withoutTag = Dockerfile(
            try repositoryText("Dockerfile").replacingOccurrences(of: " mlex-tag mlex\"", with: " mlex\""))
        #expect(
            dockerfileProblems(withoutTag, package: package, configurationDoc: configurationDoc).contains {
                $0.contains("leave out mlex-tag")
            })
    }
}
