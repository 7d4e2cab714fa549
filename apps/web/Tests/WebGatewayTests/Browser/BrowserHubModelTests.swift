import Foundation
import Platform
import PlatformTesting
import Testing

extension BrowserTests {
    @Test(
        "model page: versions, lineage links (run, job, dataset), files, leaderboard; promote to production and see it audited; viewers get no controls"
    )
    func modelPage() async throws {
        let site = try site
        let seeded = try await SeededProject.make(site, runs: 1)
        let token = seeded.owner.token
        let project = seeded.project
        // A finalized dataset version, read by the job that makes the version's run.
        let dataset = try await site.data(
            "POST", "/v1/projects/\(project)/datasets", ["name": "frames"], token: token)
        let datasetID = try #require(dataset["id"]?.stringValue)
        let datasetVersion = try #require(
            try await site.data("POST", "/v1/datasets/\(datasetID)/versions", [:], token: token)["id"]?.stringValue)
        _ = try await httpSend(
            site.platform.dataURL + "/v1/dataset-versions/\(datasetVersion)/files/f.tif", "PUT",
            bytes: Data("frame".utf8), token: token)
        try await site.data("POST", "/v1/dataset-versions/\(datasetVersion)/finalize", token: token)
        let job = try await site.compute(
            "POST", "/v1/jobs",
            [
                "projectId": .string(project), "queue": "default", "command": ["/bin/true"],
                "resources": ["cpus": 0.5, "memoryMB": 64],
            ], token: token)
        let jobID = try #require(job["id"]?.stringValue)
        let jobRun = try #require(job["runId"]?.stringValue)

        let task = "segment\(ID.make().suffix(6).lowercased())"
        let model = try await site.hub(
            "POST", "/v1/projects/\(project)/models", ["name": "segmenter", "task": .string(task), "license": "MIT"],
            token: token)
        let modelID = try #require(model["id"]?.stringValue)
        try await site.hub(
            "POST", "/v1/models/\(modelID)/versions",
            [
                "label": "0.1", "metrics": ["iou": 0.71],
                "source": ["runId": .string(jobRun), "datasetVersionIds": [.string(datasetVersion)]],
            ], token: token)
        try await site.hub(
            "POST", "/v1/models/\(modelID)/versions",
            ["label": "0.2", "metrics": ["iou": 0.83], "source": ["runId": seeded.runs[0]["id"] ?? .null]],
            token: token)
        // The lineage names the job once the hub has heard of it from compute.
        try await withRetries(300) {
            let lineage = try await site.hub("GET", "/v1/models/\(modelID)/versions/1/lineage", token: token)
            guard lineage["job"]?["id"] == .string(jobID) else { throw POSIXError(.EAGAIN) }
        }

        try await withBrowser { browser in
            try await site.signIn(browser, email: seeded.owner.email, next: "/models/\(modelID)?version=1")
            #expect(try await browser.find("#model-name").text() == "segmenter")
            #expect(try await browser.count("#model-versions tbody tr") == 2)
            #expect(try await browser.find("#model-versions tr.selected").attribute("data-version") == "1")
            #expect(try await browser.find("#lineage-run a").attribute("href") == "/runs/\(jobRun)")
            #expect(try await browser.find("#lineage-job a").attribute("href") == "/jobs/\(jobID)")
            let datasetLink = try await browser.find(".lineage-dataset a")
            #expect(try await datasetLink.attribute("href") == "/datasets/\(datasetID)")
            #expect(try await datasetLink.text() == "frames v1")
            #expect(try await browser.count("#model-audit tr[data-action='version.created']") == 2)
            // Version 2 leads the task's leaderboard by iou; version 1 (shown) is marked.
            try await browser.wait(until: "return !!document.querySelector('#leaderboard-table')")
            let ranked = try await browser.findAll("#leaderboard-table tbody tr.mine")
            #expect(ranked.count == 2)
            #expect(try await browser.find("#leaderboard-table tr.current").attribute("data-rank") == "2")
            #expect(try await browser.count("#deploy-link") == 0)
            try await browser.screenshot("model")
            try await browser.execute("document.querySelector('#version').scrollIntoView()")
            try await browser.screenshot("model-version")

            // Promote version 1 to production.
            try await browser.execute("document.querySelector('#stage-select').value = 'production'")
            try await browser.find("#stage-save").click()
            try await browser.wait(
                until: "return document.querySelector('#version-stage')?.dataset.stage === 'production'")
            try await browser.wait(
                until: "return !!document.querySelector(\"#model-audit tr[data-action='stage.changed']\")")
            let audited = try await browser.find("#model-audit tr[data-action='stage.changed']").text()
            #expect(audited.contains("none → production"))
            try await browser.find("#alias-name").type("champion")
            try await browser.find("#alias-set").click()
            try await browser.wait(
                until: "return !!document.querySelector(\"#version-aliases [data-alias='champion']\")")
            try await browser.execute("document.querySelector('#model-audit').scrollIntoView()")
            try await browser.screenshot("model-audit")
        }
        let version = try await site.hub("GET", "/v1/models/\(modelID)/versions/1", token: token)
        #expect(version["stage"] == "production")
        #expect(version["aliases"] == ["champion"])

        // A viewer of the project reads everything and gets no controls.
        let viewer = try await site.newUser("viewer")
        try await site.data(
            "PUT", "/v1/projects/\(project)/members/user/\(viewer.id)", ["role": "viewer"], token: token)
        try await withBrowser(width: 390, height: 844) { browser in
            try await site.signIn(browser, email: viewer.email, next: "/models/\(modelID)?version=champion")
            #expect(try await browser.find("#version").attribute("data-version") == "1")
            #expect(try await browser.find("#version-stage").attribute("data-stage") == "production")
            #expect(try await browser.count("#stage-form") == 0)
            #expect(try await browser.count("#alias-form") == 0)
            #expect(try await browser.execute("return document.documentElement.scrollWidth <= innerWidth") == true)
            try await browser.screenshot("model-phone")
        }
    }

    @Test("a model whose description is markup shows it as text, on the hub and the model page, with no dialog")
    func hostileModelDescription() async throws {
        let site = try site
        let (owner, project) = try await site.newProject("hostile")
        let task = "hostile\(ID.make().suffix(6).lowercased())"
        let markup = "<script>alert(1)</script><img src=x onerror=alert(1)>"
        let card = HubPackage.card(name: "markup", task: task, framework: "<b>bold</b>", description: markup)
        let modelID = try await site.ingestModel(HubPackage(card: card), project: project, token: owner.token)
        try await withBrowser { browser in
            try await site.signIn(browser, email: owner.email, next: "/hub?task=\(task)")
            #expect(try await browser.find(".hub-result-description").text() == markup)
            #expect(try await browser.count("#main img, #main script, #main b") == 0)
            #expect(try await browser.alertText() == nil)
            try await browser.goAndWait(site.gatewayURL + "/models/\(modelID)")
            #expect(try await browser.find("#model-description").text() == markup)
            #expect(try await browser.count("#main img, #main script, #main b") == 0)
            #expect(try await browser.alertText() == nil)
        }
    }
}
