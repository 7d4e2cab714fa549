import Foundation
import Logging
import Platform
import PlatformTesting
import WebGateway

/// The speed rows of issue 26, measured in Debian's headless Chromium through chromedriver:
/// a project of `runs` runs (20 params, 10 metrics each, loaded as `SearchScaleBenchmark`
/// loads them) and a run whose metric has `points` points, served by users, data and the
/// gateway in this process.
///
/// Browser times come from the browser's own clocks (read through WebDriver's execute script):
/// a page from navigation start to the mark the page sets once drawn (`performance.mark`:
/// `runs-table-rendered`, `chart-drawn:<key>`), a zoom from the call to its mark. Beside each,
/// the server's time for the request behind it: Resource Timing's requestStart → responseStart
/// of that API call, i.e. the gateway and the service answering over loopback (the time to the
/// first byte of the answer; reading the rest and drawing are the browser's).
/// Goals (issue 26), printed, never asserted: first page < 1 s, a filtered and sorted page
/// < 500 ms, the chart < 1 s, a zoom < 300 ms.
struct WebBenchmark {
    let directory: URL
    let runs: Int
    let points: Int
    let repetitions: Int

    /// One row: browser and server times of the same repetitions.
    struct Row {
        var browser: Measurement
        var server: Measurement
        let goal: String

        init(_ name: String, goal: String) {
            browser = Measurement(name: name)
            server = Measurement(name: name)
            self.goal = goal
        }

        mutating func add(browser milliseconds: Double, server serverMilliseconds: Double) {
            browser.latencies.append(.microseconds(Int64(milliseconds * 1000)))
            server.latencies.append(.microseconds(Int64(serverMilliseconds * 1000)))
            browser.operations += 1
        }
    }

    func run() async throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/chromium") else {
            print("\n(web: skipped; Debian's chromium and chromium-driver come with `make deps`)")
            return
        }
        try? FileManager.default.removeItem(at: directory)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let services = try await BenchServices.start(directory: directory)
        defer { services.stop() }
        let gateway = try await services.startGateway(directory: directory)
        defer { gateway.task.cancel() }
        let site = gateway.url

        let client = services.client
        let project = try await client.call("POST", "/v1/projects", #"{"name": "web"}"#)["id"]?.stringValue ?? ""
        let experiment =
            try await client.call("POST", "/v1/projects/\(project)/experiments", #"{"name": "web"}"#)["id"]?
            .stringValue ?? ""
        var began = ContinuousClock.now
        try await SearchScaleBenchmark(directory: directory, stages: []).load(
            0..<runs, experiment: experiment, client: client)
        print(String(format: "\n(loaded %d runs over HTTP in %.1f s)", runs, (ContinuousClock.now - began).seconds))
        began = ContinuousClock.now
        let chartRun = try await longSeries(experiment: experiment, client: client)
        print(
            String(
                format: "(logged %d points under `loss` in batches of 10,000 in %.1f s)", points,
                (ContinuousClock.now - began).seconds))

        let browser = try await WebDriver.session()
        do {
            try await measure(in: browser, site: site, token: client.token ?? "", project: project, chartRun: chartRun)
            await browser.quit()
        } catch {
            await browser.quit()
            throw error
        }
    }

    /// The repetitions, then the table.
    private func measure(
        in browser: WebDriver, site: String, token: String, project: String, chartRun: String
    ) async throws {
        try await signIn(browser, site: site, token: token)

        var firstPage = Row("runs table, first page (25 rows)", goal: "< 1 s")
        var filtered = Row("filtered + sorted page", goal: "< 500 ms")
        var chart = Row("run page, \(points)-point chart drawn", goal: "< 1 s")
        var zoom = Row("chart zoom (a range refetched)", goal: "< 300 ms")
        for repetition in 0..<repetitions {
            try await browser.goAndWait(site + "/projects/\(project)")
            firstPage.add(
                browser: try await mark(browser, "runs-table-rendered"),
                server: try await serverTime(browser, of: "/runs/search"))

            let filter = SearchScaleBenchmark.shapes[0].filter(repetition)
            let query = "filter=\(encoded(filter))&order=\(encoded("metrics.m3 desc"))&cols=\(encoded("metrics.m3"))"
            try await browser.goAndWait(site + "/projects/\(project)?\(query)")
            filtered.add(
                browser: try await mark(browser, "runs-table-rendered"),
                server: try await serverTime(browser, of: "/runs/search"))

            try await browser.goAndWait(site + "/runs/\(chartRun)")
            chart.add(
                browser: try await mark(browser, "chart-drawn:loss"),
                server: try await serverTime(browser, of: "/metrics/downsampled"))

            // A tenth of the series, somewhere else each time: 500 finer buckets of 100k points.
            let from = (repetition * 97_003) % (points * 9 / 10)
            let zoomed = try await browser.executeAsync(
                """
                const done = arguments[arguments.length - 1];
                const chart = document.querySelector(".chart[data-key='loss']");
                performance.clearResourceTimings();
                const began = performance.now();
                chart.zoomTo(\(from), \(from + points / 10)).then(() => {
                  const drawn = performance.getEntriesByName('chart-drawn:loss').pop();
                  const request = performance.getEntriesByType('resource').filter((e) => e.name.includes('/metrics/')).pop();
                  done({browser: drawn.startTime - began, server: request ? request.responseStart - request.requestStart : -1});
                }, (error) => done({error: String(error)}));
                """)
            guard let zoomBrowser = zoomed["browser"]?.numberValue, let zoomServer = zoomed["server"]?.numberValue
            else { throw WebDriver.Failure(error: "zoom", message: zoomed.jsonText) }
            zoom.add(browser: zoomBrowser, server: zoomServer)
        }
        Self.printTable(
            title: "Web: \(runs) runs and a \(points)-point series in headless Chromium, \(repetitions) repetitions",
            rows: [firstPage, filtered, chart, zoom])
    }

    /// A run with `points` points under `loss`, logged in batches of 10,000.
    private func longSeries(experiment: String, client: APIClient) async throws -> String {
        let run = try await client.call("POST", "/v1/experiments/\(experiment)/runs", #"{"name": "long"}"#)
        let id = run["id"]?.stringValue ?? ""
        for start in stride(from: 0, to: points, by: 10_000) {
            let body =
                "{\"points\": ["
                + (start..<min(points, start + 10_000)).map { step in
                    #"{"key": "loss", "value": \#(Double(step % 977) / 977 + 1 / Double(step + 1)), "step": \#(step)}"#
                }.joined(separator: ",") + "]}"
            try await client.call("POST", "/v1/runs/\(id)/metrics", body)
        }
        return id
    }

    /// The session cookie the gateway would set at sign-in, set straight in the browser (the
    /// benchmark's client already holds a day-long token).
    private func signIn(_ browser: WebDriver, site: String, token: String) async throws {
        try await browser.goAndWait(site + "/signin")
        try await browser.send(
            "POST", "/cookie",
            [
                "cookie": [
                    "name": "mlex_access", "value": .string(token), "path": "/", "httpOnly": true,
                    "sameSite": "Strict",
                ]
            ])
    }

    /// Milliseconds from navigation start to the page's first mark `name` (waiting for it).
    private func mark(_ browser: WebDriver, _ name: String) async throws -> Double {
        let script = "return performance.getEntriesByName('\(name)').length > 0"
        try await browser.wait(until: script, seconds: 60)
        return try await browser.execute("return performance.getEntriesByName('\(name)')[0].startTime").numberValue
            ?? -1
    }

    /// Milliseconds from request start to response start of the page's first request whose URL holds `path`.
    private func serverTime(_ browser: WebDriver, of path: String) async throws -> Double {
        try await browser.execute(
            """
            const entry = performance.getEntriesByType('resource').find((e) => e.name.includes(arguments[0]));
            return entry ? entry.responseStart - entry.requestStart : -1;
            """, [.string(path)]
        ).numberValue ?? -1
    }

    private func encoded(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? text
    }

    static func printTable(title: String, rows: [Row]) {
        print("\n## \(title)  (server = Resource Timing requestStart → responseStart of the page's API call)")
        print(
            Table.pad("case", 38) + Table.pad("browser p50 ms", 16) + Table.pad("p99 ms", 10)
                + Table.pad("server p50 ms", 15) + Table.pad("p99 ms", 10) + "goal")
        for row in rows {
            func ms(_ measurement: Measurement, _ fraction: Double) -> String {
                String(format: "%.1f", measurement.percentile(fraction).microseconds / 1000)
            }
            print(
                Table.pad(row.browser.name, 38) + Table.pad(ms(row.browser, 0.5), 16)
                    + Table.pad(ms(row.browser, 0.99), 10)
                    + Table.pad(ms(row.server, 0.5), 15) + Table.pad(ms(row.server, 0.99), 10) + row.goal)
        }
    }
}
