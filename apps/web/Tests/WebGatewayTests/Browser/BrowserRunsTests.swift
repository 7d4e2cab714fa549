import Foundation
import Platform
import PlatformTesting
import Testing

/// A project made through the API, with runs the browser then finds.
struct SeededProject: Sendable {
    let owner: (email: String, id: String, token: String)
    let project: String
    let experiment: String
    let runs: [JSONValue]

    /// `count` runs named `run-00`…, alternating optimizers, with a learning rate and a loss each.
    static func make(_ site: BrowserPlatform, runs count: Int, named: [String] = []) async throws -> SeededProject {
        let owner = try await site.newUser("tracker")
        let project = try await site.data(
            "POST", "/v1/projects", ["name": .string("p-\(ID.make().suffix(8))")], token: owner.token)
        let projectID = project["id"]?.stringValue ?? ""
        let experiment = try await site.data(
            "POST", "/v1/projects/\(projectID)/experiments", ["name": "baseline"], token: owner.token)
        let experimentID = experiment["id"]?.stringValue ?? ""
        var runs: [JSONValue] = []
        let names = named + (0..<count).map { String(format: "run-%02d", $0) }
        for (index, name) in names.enumerated() {
            let optimizer = ["adam", "sgd", "rmsprop"][index % 3]
            let run = try await site.data(
                "POST", "/v1/experiments/\(experimentID)/runs",
                [
                    "name": .string(name),
                    "params": ["optimizer": .string(optimizer), "lr": .double(0.001 * Double(index + 1))],
                ], token: owner.token)
            let id = run["id"]?.stringValue ?? ""
            try await site.data(
                "POST", "/v1/runs/\(id)/metrics",
                ["points": [["key": "loss", "value": .double(1.0 / Double(index + 1)), "step": 0]]], token: owner.token)
            runs.append(run)
        }
        return SeededProject(owner: owner, project: projectID, experiment: experimentID, runs: runs)
    }

    /// The ids POST /v1/runs/search answers for `filter` and `orderBy`, in order.
    func search(_ site: BrowserPlatform, filter: String, orderBy: String, limit: Int = 1000) async throws -> [String] {
        let answer = try await site.data(
            "POST", "/v1/runs/search",
            [
                "projectId": .string(project), "filter": .string(filter), "orderBy": [.string(orderBy)],
                "limit": .int(Int64(limit)),
            ], token: owner.token)
        return (answer["items"]?.arrayValue ?? []).compactMap { $0["id"]?.stringValue }
    }
}

extension WebDriver {
    /// The run ids of the runs table's rows, top to bottom.
    func tableRunIDs() async throws -> [String] {
        let ids = try await execute(
            "return [...document.querySelectorAll('#runs-table tbody tr')].map((row) => row.dataset.id)")
        return (ids.arrayValue ?? []).compactMap(\.stringValue)
    }

    /// Waits for the runs table to show what a search just asked for.
    func waitForTable() async throws {
        try await wait(
            until: "return !!document.querySelector('#runs-table') || !!document.querySelector('#filter-error')")
    }
}

extension BrowserTests {
    @Test("runs made through the API appear; filter with OR, sort by a metric, page, all kept in the URL")
    func runsTable() async throws {
        let site = try site
        let seeded = try await SeededProject.make(site, runs: 14)
        try await withBrowser { browser in
            try await site.signIn(browser, email: seeded.owner.email, next: "/projects/\(seeded.project)")
            try await browser.waitForTable()
            let everyRun = try await seeded.search(site, filter: "", orderBy: "startTime desc")
            #expect(try await browser.tableRunIDs() == everyRun)
            try await browser.screenshot("runs-table")

            let filter = #"params.optimizer = "adam" OR params.optimizer = 'sgd'"#
            try await browser.find("#filter").type(filter)
            try await browser.find("#columns").type("params.optimizer, metrics.loss")
            try await browser.find("#search-button").click()
            try await browser.wait(until: "return location.search.includes('filter=')")
            try await browser.waitForTable()
            let matching = try await seeded.search(site, filter: filter, orderBy: "startTime desc")
            #expect(matching.count == 10)
            #expect(try await browser.tableRunIDs() == matching)

            // Sort by the loss column: the same order the API gives.
            try await browser.find("button.sort[data-sort='metrics.loss']").click()
            try await browser.wait(until: "return location.search.includes('order=metrics.loss')")
            let byLoss = try await seeded.search(site, filter: filter, orderBy: "metrics.loss desc")
            try await browser.wait(
                until: "return document.querySelector('#runs-table tbody tr').dataset.id === '\(byLoss[0])'")
            #expect(try await browser.tableRunIDs() == byLoss)
            try await browser.screenshot("runs-filtered-sorted")

            // The URL alone reproduces the view, with 4 runs a page: page 1, then page 2.
            let url = try await browser.currentURL() + "&limit=4"
            try await browser.goAndWait(url)
            try await browser.waitForTable()
            #expect(try await browser.tableRunIDs() == Array(byLoss.prefix(4)))
            #expect(try await browser.find("#filter").property("value") == .string(filter))
            try await browser.find("#next-page").click()
            try await browser.wait(until: "return location.search.includes('pageToken=')")
            try await browser.wait(
                until: "return document.querySelector('#runs-table tbody tr').dataset.id === '\(byLoss[4])'")
            #expect(try await browser.tableRunIDs() == Array(byLoss[4..<8]))
        }
    }

    @Test("a bad filter shows the server's error at its position")
    func badFilter() async throws {
        let site = try site
        let seeded = try await SeededProject.make(site, runs: 1)
        let filter = "metrics.loss > 0.5 and params.lr >> 2"
        let answer = try await httpCall(
            site.platform.dataURL + "/v1/runs/search", "POST",
            ["projectId": .string(seeded.project), "filter": .string(filter)], token: seeded.owner.token)
        let position = Int(try #require(answer.body["error"]?["position"]?.intValue))
        try await withBrowser { browser in
            try await site.signIn(browser, email: seeded.owner.email, next: "/projects/\(seeded.project)")
            try await browser.waitForTable()
            try await browser.find("#filter").type(filter)
            try await browser.find("#search-button").click()
            let error = try await browser.find("#filter-error")
            #expect(try await error.attribute("data-position") == String(position))
            let marked = try await error.find("mark").text()
            #expect(marked == String(Array(filter)[position - 1]))
            #expect(try await browser.count("#runs-table") == 0)
            try await browser.screenshot("runs-bad-filter")
        }
    }

    @Test("a run named like markup shows as text and opens no dialog")
    func markupIsText() async throws {
        let site = try site
        let name = "<img src=x onerror=alert(1)>"
        let seeded = try await SeededProject.make(site, runs: 0, named: [name])
        let runID = seeded.runs[0]["id"]?.stringValue ?? ""
        try await withBrowser { browser in
            try await site.signIn(browser, email: seeded.owner.email, next: "/projects/\(seeded.project)")
            try await browser.waitForTable()
            #expect(try await browser.find("#runs-table .run-link").text() == name)
            #expect(try await browser.count("main img") == 0)
            #expect(try await browser.alertText() == nil)
            try await browser.goAndWait(site.gatewayURL + "/runs/\(runID)")
            #expect(try await browser.find("#run-name").text() == name)
            #expect(try await browser.count("main img") == 0)
            #expect(try await browser.alertText() == nil)
        }
    }

    @Test("a user with no role in a project gets not-found for it and its runs")
    func foreignProjectIsNotFound() async throws {
        let site = try site
        let seeded = try await SeededProject.make(site, runs: 1)
        let stranger = try await site.newUser("stranger")
        let runID = seeded.runs[0]["id"]?.stringValue ?? ""
        try await withBrowser { browser in
            try await site.signIn(browser, email: stranger.email, next: "/projects/\(seeded.project)")
            #expect(try await browser.find("main h1").text() == "Not found")
            try await browser.goAndWait(site.gatewayURL + "/runs/\(runID)")
            #expect(try await browser.find("main h1").text() == "Not found")
            #expect(try await browser.count("#run-name") == 0)
        }
    }
}
