import Foundation
import Platform
import PlatformTesting
import Testing

/// What the serving tests' deployments run and check: PlatformTesting's tiny model
/// (`POST /invocations {"inputs": [{"x": n}…]}` answers `{"predictions": [2n…]}`) and a schema
/// for its records.
enum ServedModel {
    static let script = EndpointModelServer.script

    static let inputSchema: JSONValue = [
        "type": "object", "properties": ["x": ["type": "number", "minimum": -1000, "maximum": 1000]],
        "required": ["x"],
    ]
}

extension WebDriver {
    /// Replaces the "Try it" body, sends it, and waits for the answer's status.
    func tryInvocation(_ body: String, expecting status: Int) async throws {
        try await execute(
            "const box = document.querySelector('#try-body'); box.value = arguments[0];"
                + " document.querySelector('#try-status').dataset.status = '';", [.string(body)])
        try await find("#try-send").click()
        try await wait(
            until: "return document.querySelector('#try-status').dataset.status === '\(status)'", seconds: 60)
    }
}

extension BrowserTests {
    @Test(
        "a deployment's page: its replicas become running with links to their jobs, Try it answers and shows a refused field, the list, Stop"
    )
    func servingDeployment() async throws {
        let site = try site
        let jobs = try await JobsProject.make(site)
        let created = try await site.compute(
            "POST", "/v1/deployments",
            [
                "projectId": .string(jobs.project), "name": "doubler",
                "command": ["/usr/bin/python3", "-c", .string(ServedModel.script)],
                "resources": ["cpus": 0.25, "memoryMB": 128], "replicas": 2, "idleSeconds": 1800,
                "inputSchema": ServedModel.inputSchema,
            ], token: jobs.owner.token)
        let id = try #require(created["id"]?.stringValue)
        let page = "/serving/\(id)"
        let running = "document.querySelectorAll('#deployment-replicas li[data-state=running]').length === 2"

        let replicaJobs = try await withBrowser { browser in
            try await site.signIn(browser, email: jobs.owner.email, next: page)
            #expect(try await browser.find("#deployment-name").text() == "doubler")
            #expect(try await browser.find("#deployment-state").attribute("data-state") == "active")
            #expect(try await browser.find("#deployment-endpoint").text() == site.gatewayURL + "/deployments/\(id)/")
            #expect(try await browser.find("#deployment-open").attribute("href") == "/deployments/\(id)/")
            // The page reads the deployment again every 5 s: the replicas start while it is open.
            try await browser.wait(until: "return \(running)", seconds: 90)
            #expect(try await browser.find("#deployment-replica-count").text() == "2/2 running")
            let view = try await site.compute("GET", "/v1/deployments/\(id)", token: jobs.owner.token)
            let replicaJobs = (view["replicaJobs"]?.arrayValue ?? []).compactMap(\.stringValue)
            let links = try await browser.execute(
                "return [...document.querySelectorAll('#deployment-replicas a.replica-link')]"
                    + ".map((link) => link.getAttribute('href'))")
            #expect(links == .array(replicaJobs.map { .string("/jobs/\($0)") }))

            // A record the schema refuses: 400, the field named beside the body; no replica sees it.
            try await browser.tryInvocation(#"{"inputs": [{"x": 1}, {"x": "two"}]}"#, expecting: 400)
            let refused = try await browser.find(".field-error[data-error-for='body']")
            #expect(try await refused.attribute("data-field") == "inputs.1.x")
            #expect(try await refused.text().hasPrefix("inputs.1.x: "))
            #expect(try await browser.find("#try-body").attribute("aria-invalid") == "true")
            try await browser.screenshot("serving-try-refused")

            try await browser.tryInvocation(#"{"inputs": [{"x": 21}, {"x": 1.5}]}"#, expecting: 200)
            let answer = try JSONValue.parse(try await browser.find("#try-answer").text())
            // The page shows the answer re-indented by JavaScript, where 3.0 is 3.
            #expect(answer["predictions"] == [42, 3], "\(answer.jsonText)")
            #expect(try await browser.find(".field-error[data-error-for='body']").text() == "")
            try await browser.screenshot("serving-deployment")

            // The list: the deployment with its replicas running of those wanted.
            try await browser.goAndWait(site.gatewayURL + "/serving?project=\(jobs.project)")
            let row = "#serving-table tr[data-deployment-id='\(id)']"
            #expect(try await browser.find("\(row) .deployment-link").text() == "doubler")
            #expect(try await browser.find("\(row) .deployment-replica-count").text() == "2/2")
            try await browser.screenshot("serving-list")
            return replicaJobs
        }

        try await withBrowser(width: 390, height: 844) { browser in
            try await site.signIn(browser, email: jobs.owner.email, next: page)
            try await browser.wait(until: "return \(running)", seconds: 30)
            try await browser.tryInvocation(#"{"inputs": [{"x": 4}]}"#, expecting: 200)
            #expect(try await browser.fitsWidth())
            try await browser.screenshot("serving-deployment-phone")
            try await browser.goAndWait(site.gatewayURL + "/serving?project=\(jobs.project)")
            #expect(try await browser.fitsWidth())
            try await browser.screenshot("serving-list-phone")
        }

        try await withBrowser { browser in
            try await site.signIn(browser, email: jobs.owner.email, next: page)
            try await browser.find("#deployment-stop").click()
            try await browser.find("#deployment-stop-keep").click()
            #expect(try await browser.find("#deployment-state").attribute("data-state") == "active")
            try await browser.find("#deployment-stop").click()
            try await browser.find("#deployment-stop-confirm").click()
            try await browser.wait(
                until: "return document.querySelector('#deployment-state').dataset.state === 'stopped'")
            #expect(try await browser.find("#deployment-stop").property("hidden") == true)
            // Its replicas are cancelled and forgotten; their jobs stay, cancelled.
            #expect(try await browser.find("#deployment-no-replicas").text().hasPrefix("none: cancelled"))
            // Nothing to open or try any more: both gone from the page, not merely marked hidden.
            #expect(
                try await browser.execute(
                    "return ['#deployment-open', '#try-form'].every((selector) =>"
                        + " getComputedStyle(document.querySelector(selector)).display === 'none')") == true)
            #expect(try await browser.find("#try-stopped").text().hasPrefix("Stopped"))
            try await browser.screenshot("serving-stopped")
        }
        let stopped = try await site.compute("GET", "/v1/deployments/\(id)", token: jobs.owner.token)
        #expect(stopped["state"] == "stopped", "\(stopped.jsonText)")
        for job in replicaJobs {
            _ = try await withRetries(600) {
                let state = try await jobs.job(job)["state"]?.stringValue
                guard state == "cancelled" else { throw POSIXError(.EAGAIN) }
                return state
            }
        }
    }
}
