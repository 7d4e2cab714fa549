import Foundation
import Platform
import PlatformTesting
import Testing

extension BrowserTests {
    /// What a chart's element says it drew and the point index range it last asked for.
    struct DrawnChart {
        let points: Int
        let source: String
        let indexRange: Range<Int>

        init(_ browser: WebDriver, _ selector: String) async throws {
            let element = try await browser.find(selector)
            points = Int(try await element.attribute("data-points") ?? "") ?? -1
            source = try await element.attribute("data-source") ?? ""
            let from = Int(try await element.attribute("data-index-from") ?? "") ?? 0
            let to = Int(try await element.attribute("data-index-to") ?? "") ?? 0
            indexRange = from..<max(from, to)
        }
    }

    @Test("zooming twice into a 200,000-point series refetches the range finer, then its exact points")
    func zoomLongSeries() async throws {
        let site = try site
        let seeded = try await SeededProject.make(site, runs: 1)
        let runID = seeded.runs[0]["id"]?.stringValue ?? ""
        for batch in 0..<20 {
            let points: [JSONValue] = (batch * 10_000..<(batch + 1) * 10_000).map { step in
                [
                    "key": "val/acc", "value": .double(Double(step % 977) / 977 + Double(step) / 400_000),
                    "step": .int(Int64(step)),
                ]
            }
            try await site.data(
                "POST", "/v1/runs/\(runID)/metrics", ["points": .array(points)], token: seeded.owner.token)
        }
        let api = "/v1/runs/\(runID)/metrics/downsampled?key=val%2Facc&buckets=500"
        let overview = try await site.data("GET", api, token: seeded.owner.token)

        try await withBrowser { browser in
            try await site.signIn(browser, email: seeded.owner.email, next: "/runs/\(runID)")
            let chart = ".chart[data-key='val/acc']"
            let fetches = { (count: Int) in "return document.querySelector(\"\(chart)\").dataset.fetches === '\(count)'"
            }
            try await browser.wait(until: fetches(1))
            #expect(try await DrawnChart(browser, chart).points == overview["items"]?.arrayValue?.count)

            // First zoom: steps 100,000–110,000, about 10,000 points: the range again in finer buckets.
            try await browser.execute("return document.querySelector(\"\(chart)\").zoomTo(100000, 110000)")
            try await browser.wait(until: fetches(2))
            let first = try await DrawnChart(browser, chart)
            #expect(first.source == "buckets")
            #expect(first.indexRange.lowerBound <= 100_000 && first.indexRange.upperBound >= 110_001)
            #expect(first.indexRange.count < 12_000, "the range, not the series: \(first.indexRange)")
            let ranged = try await site.data(
                "GET", api + "&from=\(first.indexRange.lowerBound)&to=\(first.indexRange.upperBound)",
                token: seeded.owner.token)
            let width = Int(ranged["bucketWidth"]?.intValue ?? 0)
            #expect(width > 1 && width < Int(overview["bucketWidth"]?.intValue ?? 0))
            #expect(first.points == ranged["items"]?.arrayValue?.count)
            try await browser.screenshot("run-zoom-buckets")

            // Second zoom: steps 105,000–105,200 hold fewer points than a view's buckets: the exact points.
            try await browser.execute("return document.querySelector(\"\(chart)\").zoomTo(105000, 105200)")
            try await browser.wait(until: fetches(3))
            let second = try await DrawnChart(browser, chart)
            #expect(second.source == "points")
            #expect(second.indexRange.count < 500)
            let history = try await site.data(
                "GET",
                "/v1/runs/\(runID)/metrics/history?key=val%2Facc&after=\(second.indexRange.lowerBound)"
                    + "&limit=\(second.indexRange.count)", token: seeded.owner.token)
            let inWindow = (history["items"]?.arrayValue ?? []).filter {
                (105_000...105_200).contains($0["step"]?.intValue ?? -1)
            }
            #expect(inWindow.count == 201)
            #expect(second.points == inWindow.count)
            try await browser.screenshot("run-zoom-points")
        }
    }

    @Test("a series of one point is drawn as a visible point")
    func onePointSeries() async throws {
        let site = try site
        let seeded = try await SeededProject.make(site, runs: 1)
        let runID = seeded.runs[0]["id"]?.stringValue ?? ""
        try await withBrowser { browser in
            try await site.signIn(browser, email: seeded.owner.email, next: "/runs/\(runID)")
            let chart = ".chart[data-key='loss']"
            try await browser.wait(until: "return document.querySelector(\"\(chart)\").dataset.fetches === '1'")
            #expect(try await browser.find(chart).attribute("data-points") == "1")
            // Colored pixels on the chart's canvases: axes, grid and labels are gray or black.
            let colored = try await browser.execute(
                """
                let colored = 0;
                for (const canvas of document.querySelectorAll("\(chart) canvas")) {
                  if (!canvas.width || !canvas.height) continue;
                  const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
                  for (let i = 0; i < data.length; i += 4) {
                    const [r, g, b, a] = [data[i], data[i + 1], data[i + 2], data[i + 3]];
                    if (a > 0 && Math.max(r, g, b) - Math.min(r, g, b) > 40) colored += 1;
                  }
                }
                return colored;
                """)
            #expect((colored.intValue ?? 0) > 10, "colored pixels: \(colored)")
            // Inside the plot area, not on its edge, with an x axis to read its step from.
            let placed = try await browser.execute(
                """
                const graph = document.querySelector("\(chart)").graph();
                const area = graph.getArea();
                const [x, y] = graph.toDomCoords(0, 1);
                return x > area.x + 10 && x < area.x + area.w - 10 && y > area.y + 10 && y < area.y + area.h - 10
                  && document.querySelectorAll("\(chart) .dygraph-axis-label-x").length > 0;
                """)
            #expect(placed == .bool(true))
            try await browser.screenshot("run-one-point")
        }
    }
}
