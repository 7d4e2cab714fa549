import AsyncHTTPClient
import Foundation
import NIOCore
import Platform
import PlatformTesting
import Testing

extension BrowserTests {
    @Test("a run page charts as many buckets as the API returns, and a zoom refetches exact points")
    func runChartAndZoom() async throws {
        let site = try site
        let seeded = try await SeededProject.make(site, runs: 1)
        let runID = seeded.runs[0]["id"]?.stringValue ?? ""
        let points: [JSONValue] = (1...5000).map { step in
            [
                "key": "train/loss", "value": .double(1.0 / Double(step) + Double(step % 7) * 0.001),
                "step": .int(Int64(step)),
            ]
        }
        try await site.data("POST", "/v1/runs/\(runID)/metrics", ["points": .array(points)], token: seeded.owner.token)
        try await site.data("PATCH", "/v1/runs/\(runID)/tags", ["tags": ["stage": "warmup"]], token: seeded.owner.token)
        let view = try await site.data(
            "GET", "/v1/runs/\(runID)/metrics/downsampled?key=train%2Floss&buckets=500", token: seeded.owner.token)
        let buckets = view["items"]?.arrayValue?.count ?? 0
        #expect(buckets > 100 && buckets <= 500)

        try await withBrowser { browser in
            try await site.signIn(browser, email: seeded.owner.email, next: "/runs/\(runID)")
            let chart = ".chart[data-key='train/loss']"
            try await browser.wait(until: "return document.querySelector(\"\(chart)\").dataset.fetches === '1'")
            #expect(try await browser.find(chart).attribute("data-points") == String(buckets))
            #expect(try await browser.find(chart).attribute("data-source") == "buckets")
            #expect(try await browser.find("#params").text().contains("optimizer"))
            #expect(try await browser.find("#tags").text().contains("warmup"))
            try await browser.execute("document.querySelector('#charts').scrollIntoView()")
            try await browser.screenshot("run")

            // A mouse drag across the chart zooms; the chart fetches that range's exact points.
            let canvas = try await browser.find("\(chart) .plot canvas")
            try await browser.perform([
                [
                    "type": "pointer", "id": "mouse", "parameters": ["pointerType": "mouse"],
                    "actions": [
                        ["type": "pointerMove", "origin": canvas.reference, "x": -40, "y": 0],
                        ["type": "pointerDown", "button": 0],
                        ["type": "pointerMove", "origin": canvas.reference, "x": -20, "y": 0, "duration": 200],
                        // A narrow drag: fewer points than the view's 500 buckets, so exact points.
                        ["type": "pointerMove", "origin": canvas.reference, "x": -12, "y": 0, "duration": 200],
                        ["type": "pointerUp", "button": 0],
                    ],
                ]
            ])
            try await browser.wait(until: "return document.querySelector(\"\(chart)\").dataset.fetches === '2'")
            let element = try await browser.find(chart)
            #expect(try await element.attribute("data-source") == "points")
            let from = try #require(Double(try await element.attribute("data-range-from") ?? ""))
            let to = try #require(Double(try await element.attribute("data-range-to") ?? ""))
            let history = try await site.data(
                "GET", "/v1/runs/\(runID)/metrics/history?key=train%2Floss&limit=25000", token: seeded.owner.token)
            let inRange = (history["items"]?.arrayValue ?? []).filter { point in
                let step = Double(point["step"]?.intValue ?? -1)
                return step >= from && step <= to
            }
            #expect(!inRange.isEmpty && inRange.count < 5000)
            #expect(try await element.attribute("data-points") == String(inRange.count))
            try await browser.screenshot("run-zoomed")

            // Time on the x axis: buckets carry steps only, so the chart draws the points.
            try await browser.execute(
                "const axis = document.querySelector('#x-axis'); axis.value = 'time';"
                    + " axis.dispatchEvent(new Event('change'))")
            try await browser.wait(until: "return document.querySelector(\"\(chart)\").dataset.fetches === '1'")
            #expect(try await browser.find(chart).attribute("data-source") == "points")
            #expect(try await browser.find(chart).attribute("data-points") == "5000")
            try await browser.find("#log-scale").click()
            try await browser.wait(until: "return document.querySelector(\"\(chart)\").dataset.fetches === '1'")
            #expect(try await browser.find(chart).attribute("data-points") == "5000")
            try await browser.screenshot("run-time-log")
        }
    }

    @Test("tags are edited on the run page")
    func editTags() async throws {
        let site = try site
        let seeded = try await SeededProject.make(site, runs: 1)
        let runID = seeded.runs[0]["id"]?.stringValue ?? ""
        try await withBrowser { browser in
            try await site.signIn(browser, email: seeded.owner.email, next: "/runs/\(runID)")
            try await browser.find("#tag-key").type("reviewed")
            try await browser.find("#tag-value").type("yes")
            try await browser.find("#tag-save").click()
            try await browser.wait(until: "return document.querySelector('#tags').textContent.includes('reviewed')")
            let run = try await site.data("GET", "/v1/runs/\(runID)", token: seeded.owner.token)
            #expect(run["tags"]?["reviewed"] == .string("yes"))
        }
    }

    @Test("compare two runs: overlaid charts and the params that differ marked")
    func compareTwoRuns() async throws {
        let site = try site
        let seeded = try await SeededProject.make(site, runs: 4)
        // run-00 and run-03 share the optimizer (adam) and differ in lr and loss.
        let picked = [seeded.runs[0], seeded.runs[3]].compactMap { $0["id"]?.stringValue }
        try await withBrowser { browser in
            try await site.signIn(browser, email: seeded.owner.email, next: "/projects/\(seeded.project)")
            try await browser.waitForTable()
            for id in picked { try await browser.find("tr[data-id='\(id)'] .select-run").click() }
            #expect(try await browser.find("#compare").text() == "Compare (2)")
            try await browser.find("#compare").click()
            try await browser.wait(
                until: "return location.pathname === '/compare' && document.body.dataset.ready === 'true'")
            #expect(try await browser.currentURL().hasSuffix("/compare?runs=" + picked.joined(separator: ",")))
            #expect(try await browser.find("tr[data-key='params.lr']").attribute("class") == "differs")
            #expect(try await browser.find("tr[data-key='params.optimizer']").attribute("class") == "")
            #expect(try await browser.find("tr[data-key='metrics.loss']").attribute("class") == "differs")
            // Each run logged one loss point: one bucket each, two drawn.
            #expect(try await browser.find(".chart[data-key='loss']").attribute("data-points") == "2")
            #expect(try await browser.find("#scatter").attribute("data-points") == "2")
            try await browser.screenshot("compare")
        }
    }

    @Test("upload a file on the run page, then download it: the same bytes")
    func uploadAndDownload() async throws {
        let site = try site
        let seeded = try await SeededProject.make(site, runs: 1)
        let runID = seeded.runs[0]["id"]?.stringValue ?? ""
        let folder = try temporaryDirectory()
        let bytes = Data((0..<70_000).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ $0 >> 8) })
        let source = folder.appendingPathComponent("weights.bin")
        try bytes.write(to: source)
        let downloads = try temporaryDirectory()
        try await withBrowser(downloads: downloads) { browser in
            try await site.signIn(browser, email: seeded.owner.email, next: "/runs/\(runID)")
            try await browser.find("#upload-file").type(source.path)
            try await browser.find("#upload-path").type("models/weights.bin")
            try await browser.find("#upload").click()
            let link = try await browser.find("#files a.download[data-path='models/weights.bin']")
            try await browser.screenshot("run-files")

            // What the upload stored, read straight from data.
            var request = HTTPClientRequest(url: site.platform.dataURL + "/v1/runs/\(runID)/files/models/weights.bin")
            request.headers.add(name: "Authorization", value: "Bearer \(seeded.owner.token)")
            let stored = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
            #expect(Data(buffer: try await stored.body.collect(upTo: 1 << 20)) == bytes)

            try await link.click()
            let saved = downloads.appendingPathComponent("weights.bin")
            try await browser.wait(
                until: "return true", seconds: 1)  // lets the click's navigation settle before polling the disk
            for _ in 0..<150 where !FileManager.default.fileExists(atPath: saved.path) {
                try await Task.sleep(for: .milliseconds(100))
            }
            #expect(FileManager.default.contents(atPath: saved.path) == bytes)
        }
    }

    @Test("pages fit a phone's width (390×844) without scrolling sideways")
    func phoneWidth() async throws {
        let site = try site
        let seeded = try await SeededProject.make(site, runs: 3)
        let runID = seeded.runs[0]["id"]?.stringValue ?? ""
        try await withBrowser(width: 390, height: 844) { browser in
            try await site.signIn(browser, email: seeded.owner.email, next: "/projects/\(seeded.project)")
            try await browser.waitForTable()
            try await browser.screenshot("phone-runs-table")
            #expect(
                try await browser.execute("return document.documentElement.scrollWidth <= window.innerWidth")
                    == .bool(true))
            try await browser.goAndWait(site.gatewayURL + "/runs/\(runID)")
            try await browser.screenshot("phone-run")
            #expect(
                try await browser.execute("return document.documentElement.scrollWidth <= window.innerWidth")
                    == .bool(true))
            try await browser.goAndWait(site.gatewayURL + "/projects")
            try await browser.screenshot("phone-projects")
        }
    }
}
