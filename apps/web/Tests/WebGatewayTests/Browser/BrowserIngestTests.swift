import Foundation
import Platform
import PlatformTesting
import Testing

/// A package as an author makes one: files in a folder and `model.json`, packed by GNU tar into
/// a file the browser's file input is given (WebDriver uploads a file by typing its path).
struct PackageFile {
    /// The tar's path.
    let path: String

    /// `card` as model.json (its `files` as given, or listing `files` with their sizes and
    /// SHA-256s), then `files`, packed with /usr/bin/tar.
    static func model(card: JSONValue, files: [String: String], listed: [JSONValue]? = nil) throws -> PackageFile {
        let folder = try temporaryDirectory()
        var card = card
        card["files"] = .array(try listed ?? files.keys.sorted().map { try entry($0, files[$0] ?? "") })
        try Data(card.jsonText.utf8).write(to: folder.appendingPathComponent("model.json"))
        for (path, text) in files { try Data(text.utf8).write(to: folder.appendingPathComponent(path)) }
        let archive = try temporaryDirectory().appendingPathComponent("package.tar")
        try run("/usr/bin/tar", ["-cf", archive.path, "-C", folder.path, "."])
        return PackageFile(path: archive.path)
    }

    /// A dataset package: `files` (paths to text), packed with /usr/bin/tar.
    static func dataset(_ files: [String: String]) throws -> PackageFile {
        let folder = try temporaryDirectory()
        for (path, text) in files {
            let url = folder.appendingPathComponent(path)
            try FileManager.default.createDirectory(
                at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(text.utf8).write(to: url)
        }
        let archive = try temporaryDirectory().appendingPathComponent("scans.tar")
        try run("/usr/bin/tar", ["-cf", archive.path, "-C", folder.path, "."])
        return PackageFile(path: archive.path)
    }

    /// A dataset package of one file of `megabytes` MB (not text: bytes of a counter).
    static func largeDataset(megabytes: Int) throws -> PackageFile {
        let folder = try temporaryDirectory()
        let chunk = Data((0..<(1 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 31) })
        let file = folder.appendingPathComponent("frames.bin")
        FileManager.default.createFile(atPath: file.path, contents: nil)
        let handle = try FileHandle(forWritingTo: file)
        for _ in 0..<megabytes { try handle.write(contentsOf: chunk) }
        try handle.close()
        let archive = try temporaryDirectory().appendingPathComponent("frames.tar")
        try run("/usr/bin/tar", ["-cf", archive.path, "-C", folder.path, "."])
        return PackageFile(path: archive.path)
    }

    /// model.json's entry for a file holding `text`.
    static func entry(_ path: String, _ text: String) throws -> JSONValue {
        ["path": .string(path), "size": .int(Int64(text.utf8.count)), "sha256": .string(try sha256(text))]
    }

    static func sha256(_ text: String) throws -> String {
        let file = try temporaryDirectory().appendingPathComponent("content")
        try Data(text.utf8).write(to: file)
        return String(try run("/usr/bin/sha256sum", [file.path]).prefix(64))
    }

    /// A card the ingest service accepts, for a model named `name`.
    static func card(_ name: String) -> JSONValue {
        [
            "name": .string(name), "version": "1.0.0", "description": "removes beam-line noise",
            "task": "denoising", "framework": "numpy", "license": "MIT", "authors": ["Ada Lovelace"],
            "public": false, "command": ["/usr/bin/python3", "predict.py"],
            "parameters": [
                "type": "object", "properties": ["threshold": ["type": "number", "minimum": 0, "maximum": 1]],
            ],
        ]
    }

    @discardableResult
    private static func run(_ tool: String, _ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tool)
        process.arguments = arguments
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        try #require(process.terminationStatus == 0, "\(tool) failed")
        return text
    }
}

extension BrowserTests {
    /// Uploads `package` through the ingest page's file input and waits for its outcome.
    private func ingest(_ package: PackageFile, _ browser: WebDriver, expecting state: String) async throws {
        try await browser.find("#ingest-file").type(package.path)
        try await browser.wait(until: "return !document.querySelector('#ingest-submit').disabled")
        try await browser.find("#ingest-submit").click()
        try await browser.wait(
            until: "return document.querySelector('#ingest-state')?.dataset.state === '\(state)'", seconds: 30)
    }

    /// The reasons the page lists, each as "field file message" (those present).
    private func shownReasons(_ browser: WebDriver) async throws -> [String] {
        let texts = try await browser.execute(
            """
            return [...document.querySelectorAll('#ingest-reasons li.ingest-reason')].map((item) =>
              [item.dataset.field, item.dataset.file, item.querySelector('.ingest-reason-message').textContent]
                .filter(Boolean).join(' '))
            """)
        return (texts.arrayValue ?? []).compactMap(\.stringValue)
    }

    /// The reasons the ingest service recorded for the ingestion the page shows.
    private func recordedReasons(
        _ site: BrowserPlatform, _ browser: WebDriver, token: String
    ) async throws -> [String] {
        let id = try await browser.find(".ingest-outcome").attribute("data-ingestion-id") ?? ""
        let ingestion = try await site.call(site.ingestURL, "GET", "/v1/ingestions/\(id)", nil, token: token)
        return (ingestion["reasons"]?.arrayValue ?? []).map { reason in
            [reason["field"]?.stringValue, reason["file"]?.stringValue, reason["message"]?.stringValue]
                .compactMap { $0 }.filter { !$0.isEmpty }.joined(separator: " ")
        }
    }

    @Test("ingest: a bad package's every reason is listed, a good one is accepted and found in the hub")
    func ingestPackages() async throws {
        let site = try site
        let owner = try await site.newUser("ingester")
        let project = try await site.data("POST", "/v1/projects", ["name": "ingest-lab"], token: owner.token)
        let projectID = project["id"]?.stringValue ?? ""
        let name = "denoiser-\(ID.make().suffix(6).lowercased())"
        let predict = "print('denoised')\n"
        // Files wrong: one listed but missing, one with a wrong SHA-256, one present but not listed.
        let badFiles = try PackageFile.model(
            card: PackageFile.card(name), files: ["predict.py": predict, "notes.txt": "draft\n"],
            listed: [
                [
                    "path": "predict.py", "size": .int(Int64(predict.utf8.count)),
                    "sha256": .string(String(repeating: "0", count: 64)),
                ],
                try PackageFile.entry("weights.bin", "not here"),
            ])
        // The card wrong: a malformed name, an unknown field, a negative resource.
        var badCard = PackageFile.card("bad name!")
        badCard["colour"] = "blue"
        badCard["resources"] = ["cpus": -1]
        let badCardPackage = try PackageFile.model(card: badCard, files: ["predict.py": predict])
        let good = try PackageFile.model(card: PackageFile.card(name), files: ["predict.py": predict])

        try await withBrowser { browser in
            try await site.signIn(browser, email: owner.email, next: "/ingest?projectId=\(projectID)")
            #expect(try await browser.find("#ingest-project").property("value") == .string(projectID))

            try await ingest(badFiles, browser, expecting: "rejected")
            let fileReasons = try await shownReasons(browser)
            #expect(fileReasons == (try await recordedReasons(site, browser, token: owner.token)))
            #expect(fileReasons.count == 3)
            #expect(fileReasons.contains { $0.contains("weights.bin") })
            #expect(fileReasons.contains { $0.contains("predict.py") && $0.contains("SHA-256") })
            #expect(fileReasons.contains { $0.contains("notes.txt") })
            #expect(try await browser.count("#ingest-stages li.reached") == 3)
            try await browser.screenshot("ingest-rejected-files")

            try await ingest(badCardPackage, browser, expecting: "rejected")
            let cardReasons = try await shownReasons(browser)
            #expect(cardReasons == (try await recordedReasons(site, browser, token: owner.token)))
            let fields = try await browser.execute(
                "return [...document.querySelectorAll('#ingest-reasons li')].map((item) => item.dataset.field)")
            for field in ["name", "colour", "resources.cpus"] {
                #expect(fields.arrayValue?.contains(.string(field)) == true, "no reason for \(field)")
            }
            try await browser.screenshot("ingest-rejected-card")

            try await ingest(good, browser, expecting: "accepted")
            #expect(try await browser.count("#ingest-reasons") == 0)
            #expect(try await browser.find("#ingest-hub-link").attribute("href") == "/hub?q=\(name)")
            // The hub makes the version from the bus event; the page links it once there.
            try await browser.wait(until: "return !!document.querySelector('#ingest-model-link')", seconds: 30)
            let modelLink = try await browser.find("#ingest-model-link").attribute("href") ?? ""
            #expect(modelLink.hasPrefix("/models/") && modelLink.hasSuffix("?version=1"))
            // Three ingestions, newest first: the accepted one on top.
            try await browser.wait(until: "return document.querySelectorAll('#ingestions-table tbody tr').length === 3")
            #expect(
                try await browser.find("#ingestions-table tbody tr").attribute("data-state") == "accepted")
            try await browser.screenshot("ingest-accepted")

            // The upload's progress reached the whole package.
            #expect(try await browser.find("#ingest-progress").property("value") == .int(1))

            // A dataset package becomes a version of the named dataset.
            try await browser.execute(
                "const kind = document.querySelector('#ingest-kind'); kind.value = 'dataset'; kind.dispatchEvent(new Event('change'))"
            )
            try await browser.find("#ingest-dataset-name").type("scans")
            try await ingest(
                try PackageFile.dataset(["a.txt": "first\n", "frames/b.txt": "second\n"]), browser,
                expecting: "accepted")
            let datasetIngestion = try await browser.find(".ingest-outcome").attribute("data-ingestion-id")
            // The same package dropped on the drop zone answers the ingestion it already became.
            try await browser.execute(
                """
                const input = document.querySelector('#ingest-file');
                const transfer = new DataTransfer();
                transfer.items.add(new File([input.files[0]], 'dropped.tar'));
                input.value = '';
                document.querySelector('#ingest-drop').dispatchEvent(
                  new DragEvent('drop', {dataTransfer: transfer, bubbles: true, cancelable: true}));
                """)
            #expect(try await browser.find("#ingest-file-name").text().hasPrefix("dropped.tar"))
            try await browser.find("#ingest-submit").click()
            try await browser.wait(
                until: "return document.querySelector('.ingest-outcome')?.textContent.includes('ingested before')")
            #expect(try await browser.find(".ingest-outcome").attribute("data-ingestion-id") == datasetIngestion)
            let datasetLink = try await browser.find("#ingest-dataset-link")
            #expect(try await datasetLink.text().hasPrefix("scans version 1"))
            try await datasetLink.click()
            try await browser.wait(until: "return location.pathname.startsWith('/datasets/')")
            try await browser.waitForPage()
            #expect(try await browser.find("h1").text() == "scans")
            // The dataset and each of its versions carry a labels panel.
            try await browser.wait(
                until: "return document.querySelector('#entity-tags[data-kind=dataset]')?.dataset.state === 'ready'"
                    + " && document.querySelector('.tag-panel[data-kind=datasetVersion]')?.dataset.state === 'ready'")
            try await browser.screenshot("dataset-labels")

            try await browser.goAndWait(site.gatewayURL + "/hub?q=\(name)")
            let result = try await browser.find("a.hub-result")
            #expect(try await result.attribute("href") == modelLink)
        }

        // A phone shows the rejection's reasons without sideways scrolling.
        let rejected = try await site.call(
            site.ingestURL, "GET", "/v1/ingestions?projectId=\(projectID)&state=rejected&limit=1", nil,
            token: owner.token)
        let rejectedID = rejected["items"]?.arrayValue?.first?["id"]?.stringValue ?? ""
        let accepted = try await site.call(
            site.ingestURL, "GET", "/v1/ingestions?projectId=\(projectID)&state=accepted&kind=model&limit=1", nil,
            token: owner.token)
        let acceptedID = accepted["items"]?.arrayValue?.first?["id"]?.stringValue ?? ""
        try await withBrowser(width: 390, height: 844) { browser in
            try await site.signIn(
                browser, email: owner.email, next: "/ingest?projectId=\(projectID)%26ingestion=\(rejectedID)")
            try await browser.wait(until: "return document.querySelectorAll('#ingest-reasons li').length > 0")
            #expect(
                try await browser.execute("return document.documentElement.scrollWidth <= window.innerWidth")
                    == .bool(true))
            try await browser.screenshot("ingest-rejected-phone")
            try await browser.goAndWait(site.gatewayURL + "/ingest?projectId=\(projectID)&ingestion=\(acceptedID)")
            try await browser.wait(until: "return !!document.querySelector('#ingest-model-link')", seconds: 30)
            #expect(
                try await browser.execute("return document.documentElement.scrollWidth <= window.innerWidth")
                    == .bool(true))
            try await browser.screenshot("ingest-accepted-phone")
        }
    }

    @Test("ingest: a 64 MB dataset package goes through the gateway from the page, with its progress")
    func ingestLargeDataset() async throws {
        let site = try site
        let owner = try await site.newUser("bulk")
        let project = try await site.data("POST", "/v1/projects", ["name": "bulk-lab"], token: owner.token)
        let projectID = project["id"]?.stringValue ?? ""
        let package = try PackageFile.largeDataset(megabytes: 64)
        try await withBrowser { browser in
            try await site.signIn(browser, email: owner.email, next: "/ingest?projectId=\(projectID)")
            try await browser.execute(
                "const kind = document.querySelector('#ingest-kind'); kind.value = 'dataset'; kind.dispatchEvent(new Event('change'))"
            )
            try await browser.find("#ingest-dataset-name").type("frames")
            try await browser.find("#ingest-file").type(package.path)
            try await browser.find("#ingest-submit").click()
            try await browser.wait(
                until: "return document.querySelector('#ingest-state')?.dataset.state === 'accepted'", seconds: 120)
            #expect(try await browser.find("#ingest-progress").property("value") == .int(1))
        }
        let ingestions = try await site.call(
            site.ingestURL, "GET", "/v1/ingestions?projectId=\(projectID)", nil, token: owner.token)
        let ingestion = try #require(ingestions["items"]?.arrayValue?.first)
        #expect(ingestion["state"] == "accepted")
        let size = try FileManager.default.attributesOfItem(atPath: package.path)[.size] as? NSNumber
        #expect(ingestion["size"]?.intValue == size?.int64Value)
    }
}
