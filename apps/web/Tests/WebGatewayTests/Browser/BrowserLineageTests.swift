import Foundation
import Platform
import PlatformTesting
import Testing

extension BrowserTests {
    @Test("a run page's lineage shows the job that made it with its state and the models registered from it")
    func lineageOfAJobRun() async throws {
        let site = try site
        let seeded = try await SeededProject.make(site, runs: 1)
        let token = seeded.owner.token
        // A job that ends at once on the suite's agent; its run exists from submission on.
        let submitted = try await httpCall(
            site.platform.computeURL + "/v1/jobs", "POST",
            [
                "projectId": .string(seeded.project), "queue": "default", "command": ["/bin/true"],
                "resources": ["cpus": 0.5, "memoryMB": 64],
            ], token: token)
        try #require(submitted.status == 201, "\(submitted.body)")
        let jobID = try #require(submitted.body["id"]?.stringValue)
        let jobRun = try #require(submitted.body["runId"]?.stringValue)
        let state = try await withRetries(300) {
            let state = try await site.compute("GET", "/v1/jobs/\(jobID)", token: token)["state"]?.stringValue ?? ""
            guard state == "succeeded" else { throw POSIXError(.EAGAIN) }
            return state
        }

        let model = try await site.hub(
            "POST", "/v1/projects/\(seeded.project)/models", ["name": "segmenter"], token: token)
        let modelID = try #require(model["id"]?.stringValue)
        var registered: [String] = []
        for _ in 0..<2 {
            let version = try await site.hub(
                "POST", "/v1/models/\(modelID)/versions", ["source": ["runId": .string(jobRun)]], token: token)
            registered.append(try #require(version["id"]?.stringValue))
        }
        // A version of another run is not this run's.
        let other = seeded.runs[0]["id"]?.stringValue ?? ""
        try await site.hub(
            "POST", "/v1/models/\(modelID)/versions", ["source": ["runId": .string(other)]], token: token)

        try await withBrowser { browser in
            try await site.signIn(browser, email: seeded.owner.email, next: "/runs/\(jobRun)")
            let job = try await browser.find("#lineage-job")
            #expect(try await job.text().contains(jobID))
            #expect(try await job.find("[data-state]").attribute("data-state") == state)
            let models = try await browser.findAll("#lineage .registered-model")
            var shown: [String] = []
            for item in models { shown.append(try await item.attribute("data-version-id") ?? "") }
            #expect(shown.sorted() == registered.sorted())
            try await browser.execute("document.querySelector('#lineage').scrollIntoView()")
            try await browser.screenshot("run-lineage")
            let link = try await browser.find("#lineage .registered-model a")
            #expect(try await link.text().hasPrefix("segmenter v"))
            // The link opens the hub's page of that version; the job's link opens the job's page.
            let href = try #require(try await link.attribute("href"))
            try await browser.goAndWait(site.gatewayURL + href)
            #expect(try await browser.find("#model-name").text() == "segmenter")
            #expect(try await browser.find("#version").attribute("data-version-id").map(registered.contains) == true)
            try await browser.goAndWait(site.gatewayURL + "/runs/\(jobRun)")
            let jobHref = try #require(try await browser.find("#lineage-job a").attribute("href"))
            #expect(jobHref == "/jobs/\(jobID)")
            try await browser.goAndWait(site.gatewayURL + jobHref)
            try await browser.wait(until: "return document.querySelector('#job-state')?.dataset.state === '\(state)'")

            try await browser.goAndWait(site.gatewayURL + "/runs/\(other)")
            #expect(try await browser.findAll("#lineage .registered-model").count == 1)
            #expect(try await browser.count("#lineage-job") == 0)
        }
    }

    @Test("compare three runs: one column each, differing rows marked, every run on the chart and the scatter")
    func compareThreeRuns() async throws {
        let site = try site
        let seeded = try await SeededProject.make(site, runs: 3)
        let picked = seeded.runs.compactMap { $0["id"]?.stringValue }
        try await withBrowser { browser in
            try await site.signIn(browser, email: seeded.owner.email, next: "/projects/\(seeded.project)")
            try await browser.waitForTable()
            for id in picked { try await browser.find("tr[data-id='\(id)'] .select-run").click() }
            #expect(try await browser.find("#compare").text() == "Compare (3)")
            try await browser.find("#compare").click()
            try await browser.wait(
                until: "return location.pathname === '/compare' && document.body.dataset.ready === 'true'")
            let headers = try await browser.findAll("thead th a")
            var names: [String] = []
            for header in headers { names.append(try await header.text()) }
            #expect(names.sorted() == ["run-00", "run-01", "run-02"])
            // adam, sgd, rmsprop: every param and the loss differ.
            #expect(try await browser.find("tr[data-key='params.optimizer']").attribute("class") == "differs")
            #expect(try await browser.find("tr[data-key='params.lr']").attribute("class") == "differs")
            #expect(try await browser.find("tr[data-key='metrics.loss']").attribute("class") == "differs")
            #expect(try await browser.find(".chart[data-key='loss']").attribute("data-points") == "3")
            #expect(try await browser.find("#scatter").attribute("data-points") == "3")
            try await browser.screenshot("compare-three")
        }
    }
}
