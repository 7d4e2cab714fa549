import Foundation
import Platform
import PlatformTesting
import Testing

/// A model package for the hub's browser tests, sent through ingest: `model.json` listing its
/// files with their sizes and SHA-256s (sha256sum), packed by GNU tar. The ingest suite's own
/// builder lives in its test target, which this one cannot import.
struct HubPackage {
    var card: JSONValue
    var files: [String: Data] = ["weights.bin": Data((0..<512).map { UInt8($0 % 251) })]

    /// A card with a schema of every kind the deploy form renders: a required enum, a number
    /// with a range and a default, a boolean and a string with a length limit. Its command prints
    /// the parameters it was given.
    static func card(name: String, task: String, framework: String, description: String = "frames") -> JSONValue {
        [
            "name": .string(name), "version": "1.0.0", "description": .string(description),
            "task": .string(task), "framework": .string(framework), "license": "MIT", "authors": ["Ada Lovelace"],
            "public": false,
            "command": ["/bin/sh", "-c", "echo deployed; echo \"params $MLEX_PARAMS\""],
            "resources": ["cpus": 0.5, "memoryMB": 128],
            "parameters": [
                "type": "object", "required": ["mode"],
                "properties": [
                    "mode": ["type": "string", "enum": ["fast", "exact"], "description": "speed or accuracy"],
                    "threshold": [
                        "type": "number", "minimum": 0, "maximum": 1, "default": 0.5, "title": "Threshold",
                        "description": "cut-off",
                    ],
                    "verbose": ["type": "boolean", "default": false],
                    "note": ["type": "string", "maxLength": 20],
                ],
            ],
            "metrics": ["psnr": 31.5],
        ]
    }

    /// The package's bytes: the card with its `files` list, and the files, as a tar.
    func tar() throws -> Data {
        let directory = try temporaryDirectory()
        var listed: [JSONValue] = []
        for (path, bytes) in files.sorted(by: { $0.key < $1.key }) {
            let url = directory.appendingPathComponent(path)
            try bytes.write(to: url)
            let digest = try run("/usr/bin/sha256sum", [url.path]).split(separator: " ").first.map(String.init) ?? ""
            listed.append(["path": .string(path), "size": .int(Int64(bytes.count)), "sha256": .string(digest)])
        }
        var card = self.card
        card["files"] = .array(listed)
        try Data(card.jsonText.utf8).write(to: directory.appendingPathComponent("model.json"))
        let archive = try temporaryDirectory().appendingPathComponent("package.tar")
        _ = try run("/bin/tar", ["-cf", archive.path, "-C", directory.path, "."])
        return try Data(contentsOf: archive)
    }

    private func run(_ tool: String, _ arguments: [String]) throws -> String {
        let process = Process()
        let output = Pipe()
        process.executableURL = URL(fileURLWithPath: tool)
        process.arguments = arguments
        process.standardOutput = output
        try process.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return text
    }
}

extension BrowserPlatform {
    /// Sends `package` to ingest for `project` and waits until the hub has made it a version:
    /// the model's id.
    func ingestModel(_ package: HubPackage, project: String, token: String) async throws -> String {
        let sent = try await httpSend(
            ingestURL + "/v1/models?projectId=\(project)", "POST", bytes: try package.tar(),
            contentType: "application/x-tar", token: token)
        guard sent.status == 201 || sent.status == 200 else {
            throw WebDriver.Failure(error: "setup", message: "ingest: \(sent.status) \(sent.body.jsonText)")
        }
        let name = package.card["name"]?.stringValue ?? ""
        return try await withRetries(300) {
            let found = try await hub("GET", "/v1/search?projectId=\(project)&facets=false&limit=100", token: token)
            guard let version = found["items"]?.arrayValue?.first(where: { $0["name"]?.stringValue == name }),
                let model = version["modelId"]?.stringValue
            else { throw POSIXError(.EAGAIN) }
            return model
        }
    }

    /// A project of a new user's, for models.
    func newProject(_ prefix: String) async throws -> (user: (email: String, id: String, token: String), id: String) {
        let user = try await newUser(prefix)
        let project = try await data(
            "POST", "/v1/projects", ["name": .string("\(prefix)-\(ID.make().suffix(8))")], token: user.token)
        return (user, project["id"]?.stringValue ?? "")
    }
}

extension BrowserTests {
    /// The version ids the hub page lists, in its order.
    func shownResults(_ browser: WebDriver) async throws -> [String] {
        var ids: [String] = []
        for result in try await browser.findAll("#hub-results a.hub-result") {
            ids.append(try await result.attribute("data-version-id") ?? "")
        }
        return ids
    }

    /// The version ids of the hub's own answer to `query`, in its order.
    func searchedResults(_ site: BrowserPlatform, _ query: String, token: String) async throws -> [String] {
        let answer = try await site.hub("GET", "/v1/search?\(query)", token: token)
        return (answer["items"]?.arrayValue ?? []).compactMap { $0["id"]?.stringValue }
    }

    @Test("hub search: facet counts as the API's, a facet click filters (kept in the URL), a sort, the API's order")
    func hubSearchFacetsAndSort() async throws {
        let site = try site
        let (owner, project) = try await site.newProject("hub-search")
        let task = "denoise\(ID.make().suffix(6).lowercased())"
        var models: [String] = []
        for (index, framework) in ["numpy", "torch", "numpy"].enumerated() {
            let card = HubPackage.card(name: "model-\(index)", task: task, framework: framework)
            models.append(try await site.ingestModel(HubPackage(card: card), project: project, token: owner.token))
        }
        // A second version of model-0: a model can appear more than once, one result per version.
        var second = HubPackage(card: HubPackage.card(name: "model-0", task: task, framework: "numpy"))
        second.card["version"] = "1.1.0"
        second.files["extra.txt"] = Data("v2".utf8)
        _ = try await site.ingestModel(second, project: project, token: owner.token)
        try await withRetries(300) {
            let answer = try await site.hub("GET", "/v1/search?task=\(task)", token: owner.token)
            guard answer["total"] == 4 else { throw POSIXError(.EAGAIN) }
        }

        try await withBrowser { browser in
            try await site.signIn(browser, email: owner.email, next: "/hub")
            try await browser.find("#hub-q").type(task)
            try await browser.find("#hub-search-submit").click()
            try await browser.wait(
                until: "return location.search.includes('q=\(task)') && document.body.dataset.ready === 'true'")
            #expect(try await shownResults(browser) == searchedResults(site, "q=\(task)", token: owner.token))
            #expect(try await browser.count("#hub-results a.hub-result") == 4)
            // The facets' counts are the API's.
            let numpy = try await browser.find(".facet-value[data-facet='framework'][data-value='numpy'] .facet-count")
            #expect(try await numpy.text() == "3")
            let torch = try await browser.find(".facet-value[data-facet='framework'][data-value='torch'] .facet-count")
            #expect(try await torch.text() == "1")
            try await browser.screenshot("hub")

            try await browser.find(".facet-value[data-facet='framework'][data-value='numpy']").click()
            try await browser.wait(
                until:
                    "return location.search.includes('framework=numpy') && document.body.dataset.ready === 'true'")
            let filtered = try await searchedResults(site, "q=\(task)&framework=numpy", token: owner.token)
            #expect(filtered.count == 3)
            #expect(try await shownResults(browser) == filtered)

            let order = "document.querySelector('#hub-order')"
            try await browser.execute("\(order).value = 'recent'; \(order).dispatchEvent(new Event('change'))")
            try await browser.wait(
                until: "return location.search.includes('order=recent') && document.body.dataset.ready === 'true'")
            #expect(try await browser.currentURL().contains("framework=numpy"))
            let recent = try await searchedResults(
                site, "q=\(task)&framework=numpy&order=recent", token: owner.token)
            #expect(try await shownResults(browser) == recent)
            // Each result links to its model page at its version.
            let first = try await browser.find("#hub-results a.hub-result")
            let model = try #require(try await first.attribute("data-model-id"))
            let version = try #require(try await first.attribute("data-version"))
            #expect(try await first.attribute("href") == "/models/\(model)?version=\(version)")
            #expect(models.contains(model))

            // A later page: the URL's pageToken is the API's offset.
            try await browser.goAndWait(site.gatewayURL + "/hub?task=\(task)&order=recent&pageToken=2")
            let paged = try await searchedResults(site, "task=\(task)&order=recent", token: owner.token)
            #expect(try await shownResults(browser) == Array(paged.dropFirst(2)))
            #expect(try await browser.count("#hub-previous") == 1)

            // The leaderboards view: the task's versions by psnr, as the API ranks them (all tie).
            try await browser.find("#hub-view-leaderboard").click()
            try await browser.wait(
                until: "return location.search === '?view=leaderboard' && document.body.dataset.ready === 'true'")
            try await browser.find("#board-metric").type("psnr")
            try await browser.find("#board-task").type(task)
            try await browser.find("#board-submit").click()
            try await browser.wait(until: "return !!document.querySelector('#leaderboard-table')")
            var ranked: [String] = []
            for row in try await browser.findAll("#leaderboard-table tbody tr") {
                ranked.append(try await row.attribute("data-version-id") ?? "")
            }
            let board = try await site.hub("GET", "/v1/leaderboards?metric=psnr&task=\(task)", token: owner.token)
            #expect(ranked == (board["items"]?.arrayValue ?? []).compactMap { $0["id"]?.stringValue })
            #expect(ranked.count == 4)
            #expect(try await browser.find("#leaderboard-table tbody tr").attribute("data-rank") == "1")
            try await browser.screenshot("hub-leaderboard")
        }
        try await withBrowser(width: 390, height: 844) { browser in
            try await site.signIn(browser, email: owner.email, next: "/hub?task=\(task)")
            try await browser.screenshot("hub-phone")
            #expect(try await browser.execute("return document.documentElement.scrollWidth <= innerWidth") == true)
        }
    }
}
