import Foundation
import Platform
import PlatformTesting
import Testing

/// A user with a project of their own, for the jobs pages: jobs submitted through the API (the
/// form's own path is tested once) and waited for through it.
struct JobsProject: Sendable {
    let site: BrowserPlatform
    let owner: (email: String, id: String, token: String)
    let project: String

    static func make(_ site: BrowserPlatform) async throws -> JobsProject {
        let owner = try await site.newUser("jobs")
        let project = try await site.data(
            "POST", "/v1/projects", ["name": .string("jobs-\(ID.make().suffix(8))")], token: owner.token)
        return JobsProject(site: site, owner: owner, project: project["id"]?.stringValue ?? "")
    }

    /// A small job running `script` in /bin/sh (a quarter CPU, 64 MB: several fit the test node).
    func submit(_ script: String, _ extra: [String: JSONValue] = [:]) async throws -> JSONValue {
        var body: [String: JSONValue] = [
            "projectId": .string(project), "command": ["/bin/sh", "-c", .string(script)],
            "resources": ["cpus": 0.25, "memoryMB": 64],
        ]
        body.merge(extra) { $1 }
        return try await site.compute("POST", "/v1/jobs", .object(body), token: owner.token)
    }

    func job(_ id: String) async throws -> JSONValue {
        try await site.compute("GET", "/v1/jobs/\(id)", token: owner.token)
    }

    /// Waits (up to a minute) for the job to reach `state`.
    @discardableResult
    func wait(_ id: String, for state: String) async throws -> JSONValue {
        try await withRetries(600) {
            let job = try await job(id)
            guard job["state"]?.stringValue == state else { throw POSIXError(.EAGAIN) }
            return job
        }
    }
}

extension WebDriver {
    /// The text of every line in the job page's log, top to bottom.
    func jobLogLines() async throws -> [String] {
        let lines = try await execute(
            "return [...document.querySelectorAll('#job-log .log-line')].map((line) => line.textContent)")
        return (lines.arrayValue ?? []).compactMap(\.stringValue)
    }

    /// Waits until the job page's `#job-state` says `state`.
    func waitForJobState(_ state: String, seconds: Double = 60) async throws {
        try await wait(
            until: "return document.querySelector('#job-state')?.dataset.state === '\(state)'", seconds: seconds)
    }

    func fitsWidth() async throws -> Bool {
        try await execute("return document.documentElement.scrollWidth <= window.innerWidth") == .bool(true)
    }
}

extension BrowserTests {
    @Test("a job submitted through the form: its log lines and progress arrive live, then its output and model")
    func jobLiveThroughForm() async throws {
        let site = try site
        let jobs = try await JobsProject.make(site)
        // Lines after the sleep are printed after the job page has loaded: they can only arrive live.
        let script =
            "echo first line; sleep 4; echo '::mlex progress 0.5 half'; echo after the wait; sleep 3;"
            + " printf 'result bytes\\n' > /output/result.txt; echo last line"
        try await withBrowser { browser in
            try await site.signIn(browser, email: jobs.owner.email, next: "/jobs/new?projectId=\(jobs.project)")
            try await browser.find("#job-command").type(script)
            try await browser.find("#job-cpus").type("0.25")
            try await browser.find("#job-memorymb").type("64")
            try await browser.find("#params-add").click()
            try await browser.find("#params-rows .kv-key").type("lr")
            try await browser.find("#params-rows .kv-value").type("0.01")
            try await browser.find("#job-register-model").type("live-model")
            try await browser.find("#job-submit").click()
            try await browser.wait(
                until: "return /^\\/jobs\\/[^/]+$/.test(location.pathname) && location.pathname !== '/jobs/new'"
                    + " && document.body.dataset.ready === 'true'")
            let jobID = String(try await browser.currentURL().split(separator: "/").last ?? "")
            #expect(try await !browser.jobLogLines().contains("after the wait"))
            let submitted = try await jobs.job(jobID)
            #expect(submitted["spec"]?["params"]?["lr"] == .double(0.01))
            #expect(submitted["command"] == ["/bin/sh", "-c", .string(script)])

            try await browser.wait(
                until: "return [...document.querySelectorAll('#job-log .log-line')]"
                    + ".some((line) => line.textContent === 'after the wait')", seconds: 30)
            try await browser.wait(
                until: "return document.querySelector('#job-progress').value === 0.5"
                    + " && document.querySelector('#job-progress-message').textContent.includes('half')")
            #expect(try await browser.find("#job-state").attribute("data-state") == "running")
            try await browser.screenshot("job-running")

            try await browser.waitForJobState("succeeded")
            try await browser.wait(
                until: "return [...document.querySelectorAll('#job-log .log-line')]"
                    + ".some((line) => line.textContent === 'last line')")
            // Both event streams (state, log) closed once the job ended.
            try await browser.wait(until: "return document.body.dataset.openStreams === '0'")
            let logged = try await site.compute("GET", "/v1/jobs/\(jobID)/logs", token: jobs.owner.token)
            let apiLines = (logged["items"]?.arrayValue ?? []).compactMap { $0["message"]?.stringValue }
            #expect(try await browser.jobLogLines() == apiLines)

            // The output's link downloads the bytes the job wrote.
            let link = try await browser.find("#job-outputs a.download[data-name='result.txt']")
            let href = try #require(try await link.attribute("href"))
            let downloaded = try await browser.executeAsync(
                "const done = arguments[arguments.length - 1];"
                    + " fetch(arguments[0]).then((r) => r.text()).then(done, (e) => done('failed: ' + e))",
                [.string(href)])
            #expect(downloaded == .string("result bytes\n"))

            // The hub registered the outputs as a version of live-model: the page links to it.
            // mlhub registers on the run's `finished` event; the page asks it again every 5 s.
            try await browser.wait(until: "return !!document.querySelector('#job-model-link')", seconds: 60)
            let model = try await browser.find("#job-model-link")
            #expect(try await model.text() == "live-model v1")
            let found = try await site.hub(
                "GET", "/v1/search?runId=\(submitted["runId"]?.stringValue ?? "")&facets=false",
                token: jobs.owner.token)
            let version = try #require(found["items"]?.arrayValue?.first)
            #expect(
                try await model.attribute("href")
                    == "/models/\(version["modelId"]?.stringValue ?? "")?version=\(version["number"]?.intValue ?? 0)")
            #expect(
                try await browser.find("#job-run-link").attribute("href")
                    == "/runs/\(submitted["runId"]?.stringValue ?? "")")
            #expect(try await browser.find("#job-node").text() == "test-default")
            let memoryPoints = try await browser.find(".usage-chart[data-kind='memory']").attribute("data-points")
            #expect(Int(memoryPoints ?? "") ?? 0 > 0)
            try await browser.screenshot("job-succeeded")
            try await browser.execute("document.querySelector('#job-outputs').scrollIntoView()")
            try await browser.screenshot("job-succeeded-usage")
        }
    }

    @Test(
        "a bad resource value is refused and shown beside its field: too big for the node, outside the template's range"
    )
    func jobSubmitErrors() async throws {
        let site = try site
        let jobs = try await JobsProject.make(site)
        let cpusError = "[data-error-for='resources.cpus']"
        try await withBrowser { browser in
            try await site.signIn(browser, email: jobs.owner.email, next: "/jobs/new?projectId=\(jobs.project)")
            try await browser.screenshot("job-submit")
            try await browser.find("#job-command").type("true")
            try await browser.find("#job-cpus").type("64")
            try await browser.find("#job-memorymb").type("64")
            try await browser.find("#job-submit").click()
            // 422 from compute: more than any node of the queue has.
            try await browser.wait(
                until: "return document.querySelector(\"\(cpusError)\").textContent.includes('more than any node')")
            #expect(try await browser.find("#job-cpus").attribute("aria-invalid") == "true")
            try await browser.screenshot("job-submit-error")

            // With python-cpu its range (0.25–32) is on the box: the browser refuses 0.1 itself.
            try await browser.execute(
                "const t = document.querySelector('#job-template'); t.value = 'python-cpu';"
                    + " t.dispatchEvent(new Event('change'))")
            #expect(
                try await browser.find("[data-hint-for='resources.cpus']").text() == "python-cpu allows 0.25–32")
            try await browser.find("#job-cpus").clear()
            try await browser.find("#job-cpus").type("0.1")
            try await browser.find("#job-memorymb").clear()
            try await browser.find("#job-memorymb").type("128")
            try await browser.find("#job-submit").click()
            try await browser.wait(
                until: "return document.querySelector(\"\(cpusError)\").textContent.startsWith('resources.cpus:')")
            // Past the browser's check (min taken away), compute's 400 names the field too.
            try await browser.execute("document.querySelector('#job-cpus').removeAttribute('min')")
            try await browser.find("#job-submit").click()
            try await browser.wait(
                until: "return document.querySelector(\"\(cpusError)\").textContent.includes('python-cpu allows')")
            #expect(try await browser.currentURL().contains("/jobs/new"))
        }
        let listed = try await site.compute("GET", "/v1/jobs?projectId=\(jobs.project)", token: jobs.owner.token)
        #expect(listed["items"]?.arrayValue?.isEmpty == true)
    }

    @Test("cancel a running job from its page, confirmed in the page")
    func jobCancel() async throws {
        let site = try site
        let jobs = try await JobsProject.make(site)
        let job = try await jobs.submit("echo waiting; sleep 120")
        let jobID = try #require(job["id"]?.stringValue)
        try await withBrowser { browser in
            try await site.signIn(browser, email: jobs.owner.email, next: "/jobs/\(jobID)")
            try await browser.waitForJobState("running")
            try await browser.find("#job-cancel").click()
            #expect(try await browser.find("#job-cancel-box").text().contains("Cancel this job?"))
            try await browser.find("#job-cancel-confirm").click()
            try await browser.waitForJobState("cancelled")
            try await browser.wait(until: "return document.body.dataset.openStreams === '0'")
            #expect(try await browser.execute("return document.querySelector('#job-cancel').hidden") == .bool(true))
        }
        #expect(try await jobs.job(jobID)["state"] == "cancelled")
    }

    @Test("rerun with overrides: the new job has the changed param and memory, the rest as before")
    func jobRerun() async throws {
        let site = try site
        let jobs = try await JobsProject.make(site)
        let job = try await jobs.submit("echo ran", ["params": ["lr": 0.1, "epochs": 2]])
        let jobID = try #require(job["id"]?.stringValue)
        try await jobs.wait(jobID, for: "succeeded")
        try await withBrowser { browser in
            try await site.signIn(browser, email: jobs.owner.email, next: "/jobs/\(jobID)")
            try await browser.find("#job-rerun").click()
            try await browser.find("#rerun-params-add").click()
            try await browser.find("#rerun-params-rows .kv-key").type("lr")
            try await browser.find("#rerun-params-rows .kv-value").type("0.5")
            try await browser.find("#rerun-form [name='resources.memoryMB']").type("128")
            try await browser.screenshot("job-rerun-form")
            try await browser.find("#rerun-submit").click()
            try await browser.wait(
                until: "return location.pathname !== '/jobs/\(jobID)' && document.body.dataset.ready === 'true'")
            let newID = String(try await browser.currentURL().split(separator: "/").last ?? "")
            let rerun = try await jobs.job(newID)
            #expect(rerun["rerunOf"] == .string(jobID))
            #expect(rerun["spec"]?["params"] == ["lr": 0.5, "epochs": 2])
            #expect(rerun["resources"]?["memoryMB"] == 128)
            #expect(rerun["resources"]?["cpus"] == 0.25)
            #expect(try await browser.find("#job-rerun-of").text() == jobID)
        }
    }

    @Test("a log line of markup renders as its characters, with no dialog")
    func jobHostileLogLine() async throws {
        let site = try site
        let jobs = try await JobsProject.make(site)
        let job = try await jobs.submit("echo '<script>alert(1)</script>'; echo '<img src=x onerror=alert(2)>'")
        let jobID = try #require(job["id"]?.stringValue)
        try await jobs.wait(jobID, for: "succeeded")
        try await withBrowser { browser in
            try await site.signIn(browser, email: jobs.owner.email, next: "/jobs/\(jobID)")
            try await browser.wait(until: "return document.querySelectorAll('#job-log .log-line').length >= 2")
            let lines = try await browser.jobLogLines()
            #expect(lines.contains("<script>alert(1)</script>"))
            #expect(lines.contains("<img src=x onerror=alert(2)>"))
            #expect(try await browser.count("#job-log script, #job-log img") == 0)
            #expect(try await browser.alertText() == nil)
        }
    }

    @Test("the jobs list shows a project's jobs with their states, follows a running one, filters by state and pages")
    func jobsList() async throws {
        let site = try site
        let jobs = try await JobsProject.make(site)
        var states: [String: String] = [:]
        let succeeded = try #require(try await jobs.submit("true")["id"]?.stringValue)
        let failed = try #require(try await jobs.submit("exit 3")["id"]?.stringValue)
        let cancelled = try #require(try await jobs.submit("sleep 120")["id"]?.stringValue)
        try await jobs.wait(cancelled, for: "running")
        try await site.compute("POST", "/v1/jobs/\(cancelled)/cancel", token: jobs.owner.token)
        for (id, state) in [(succeeded, "succeeded"), (failed, "failed"), (cancelled, "cancelled")] {
            try await jobs.wait(id, for: state)
            states[id] = state
        }
        let running = try #require(try await jobs.submit("sleep 120")["id"]?.stringValue)
        try await jobs.wait(running, for: "running")
        states[running] = "running"
        let rowStates =
            "return Object.fromEntries([...document.querySelectorAll('#jobs-table tr[data-job-id]')]"
            + ".map((row) => [row.dataset.jobId, row.dataset.state]))"
        let rowIDs =
            "return [...document.querySelectorAll('#jobs-table tr[data-job-id]')].map((row) => row.dataset.jobId)"
        try await withBrowser { browser in
            try await site.signIn(browser, email: jobs.owner.email, next: "/jobs?projectId=\(jobs.project)")
            let shown = try await browser.execute(rowStates)
            #expect(shown == .object(states.mapValues { .string($0) }))
            #expect(
                try await browser.execute("return performance.getEntriesByName('jobs-table-rendered').length")
                    == .int(1))
            #expect(
                try await browser.find("#jobs-submit-link").attribute("href") == "/jobs/new?projectId=\(jobs.project)")
            try await browser.screenshot("jobs-list")

            // The running job's row follows it (read again every 10 s) until it ends.
            try await site.compute("POST", "/v1/jobs/\(running)/cancel", token: jobs.owner.token)
            try await browser.wait(
                until: "return document.querySelector(\"tr[data-job-id='\(running)']\").dataset.state === 'cancelled'",
                seconds: 30)

            // A state chosen in the select goes into the URL, and only those jobs show.
            try await browser.execute(
                "const s = document.querySelector('#jobs-state'); s.value = 'failed';"
                    + " s.dispatchEvent(new Event('change'))")
            try await browser.wait(until: "return location.search.includes('state=failed')")
            try await browser.waitForPage()
            #expect(try await browser.execute(rowStates) == [failed: "failed"])
            #expect(try await browser.find("#jobs-state").property("value") == "failed")

            // Two a page, newest first; the next page has the older two.
            try await browser.goAndWait(site.gatewayURL + "/jobs?projectId=\(jobs.project)&limit=2")
            #expect(try await browser.execute(rowIDs) == [.string(running), .string(cancelled)])
            try await browser.find("#jobs-next").click()
            try await browser.wait(until: "return location.search.includes('after=')")
            try await browser.waitForPage()
            #expect(try await browser.execute(rowIDs) == [.string(failed), .string(succeeded)])

            // Without a project: the caller's own jobs.
            try await browser.goAndWait(site.gatewayURL + "/jobs")
            #expect(try await browser.count("#jobs-table tr[data-job-id]") == 4)
        }
    }

    @Test("the jobs pages fit a phone's width (390×844) without scrolling sideways")
    func jobsPhoneWidth() async throws {
        let site = try site
        let jobs = try await JobsProject.make(site)
        let job = try await jobs.submit(
            "echo a rather long line of output that must wrap inside the log box rather than widen the page;"
                + " echo '::mlex progress 0.3 warming up'; sleep 2; echo done > /output/result.txt",
            ["params": ["learning_rate": 0.001, "optimizer": "adam"]])
        let jobID = try #require(job["id"]?.stringValue)
        try await jobs.wait(jobID, for: "succeeded")
        try await withBrowser(width: 390, height: 844) { browser in
            try await site.signIn(browser, email: jobs.owner.email, next: "/jobs?projectId=\(jobs.project)")
            try await browser.screenshot("phone-jobs-list")
            #expect(try await browser.fitsWidth())
            try await browser.goAndWait(site.gatewayURL + "/jobs/new?projectId=\(jobs.project)")
            try await browser.find("#job-command").type("true")
            try await browser.find("#job-cpus").type("64")
            try await browser.find("#job-submit").click()
            try await browser.wait(
                until: "return document.querySelector(\"[data-error-for='resources.cpus']\").textContent !== ''")
            try await browser.screenshot("phone-job-submit")
            #expect(try await browser.fitsWidth())
            try await browser.goAndWait(site.gatewayURL + "/jobs/\(jobID)")
            try await browser.screenshot("phone-job")
            #expect(try await browser.fitsWidth())
            try await browser.execute("document.querySelector('#job-log').scrollIntoView()")
            try await browser.screenshot("phone-job-log")
        }
    }
}

extension BrowserTests {
    @Test("a code package uploaded through the form runs main.py on a chosen dataset version")
    func jobCodePackageAndInput() async throws {
        let site = try site
        let jobs = try await JobsProject.make(site)
        let token = jobs.owner.token
        // A final dataset version holding input.txt (its bytes: the JSON string below, quotes and all).
        let dataset = try await site.data(
            "POST", "/v1/projects/\(jobs.project)/datasets", ["name": "scans"], token: token)
        let version = try await site.data(
            "POST", "/v1/datasets/\(dataset["id"]?.stringValue ?? "")/versions", [:], token: token)
        let versionID = try #require(version["id"]?.stringValue)
        try await site.data("PUT", "/v1/dataset-versions/\(versionID)/files/input.txt", "scan 42", token: token)
        try await site.data("POST", "/v1/dataset-versions/\(versionID)/finalize", token: token)

        // The DDL contract: no command, the package's main.py gets main("/data", "/output").
        let folder = try temporaryDirectory()
        try """
        import os
        def main(data, output):
            text = open(os.path.join(data, "input.txt")).read()
            print("package read " + text)
            open(os.path.join(output, "copy.txt"), "w").write(text)
        """.write(to: folder.appendingPathComponent("main.py"), atomically: true, encoding: .utf8)
        let package = folder.appendingPathComponent("package.tar")
        let tar = Process()
        tar.executableURL = URL(fileURLWithPath: "/bin/tar")
        tar.arguments = ["-cf", package.path, "-C", folder.path, "main.py"]
        try tar.run()
        tar.waitUntilExit()
        try #require(tar.terminationStatus == 0)

        try await withBrowser { browser in
            try await site.signIn(browser, email: jobs.owner.email, next: "/jobs/new?projectId=\(jobs.project)")
            try await browser.find("#job-package").type(package.path)
            try await browser.find(".job-input[value='\(versionID)']").click()
            try await browser.find("#job-cpus").type("0.25")
            try await browser.find("#job-memorymb").type("64")
            try await browser.find("#job-submit").click()
            try await browser.wait(
                until: "return /^\\/jobs\\/[^/]+$/.test(location.pathname) && location.pathname !== '/jobs/new'"
                    + " && document.body.dataset.ready === 'true'", seconds: 30)
            let jobID = String(try await browser.currentURL().split(separator: "/").last ?? "")
            try await browser.waitForJobState("succeeded")
            try await browser.wait(
                until: "return [...document.querySelectorAll('#job-log .log-line')]"
                    + ".some((line) => line.textContent === 'package read \"scan 42\"')")
            try await browser.find("#job-outputs a.download[data-name='copy.txt']")
            let job = try await jobs.job(jobID)
            #expect(job["spec"]?["inputs"] == [.string(versionID)])
            let path = try #require(job["spec"]?["codePackage"]?.stringValue)
            #expect(path.hasPrefix("code/") && path.hasSuffix("-package.tar"))
            #expect(job["spec"]?["command"] == nil)
        }
    }
}
