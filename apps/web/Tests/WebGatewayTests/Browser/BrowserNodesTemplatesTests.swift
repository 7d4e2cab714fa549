import Foundation
import Platform
import PlatformTesting
import Testing

extension BrowserTests {
    @Test("the nodes page shows the agent online with its capacity, and a running job on it with its allocation")
    func nodesPageShowsRunningJob() async throws {
        let site = try site
        let user = try await site.newUser("nodes")
        let project = try await site.data("POST", "/v1/projects", ["name": "nodes"], token: user.token)
        let projectID = try #require(project["id"]?.stringValue)
        // Long enough to be seen through a 5 s refresh; cancelled at the end.
        let job = try await site.compute(
            "POST", "/v1/jobs",
            [
                "projectId": .string(projectID), "name": "sleeper", "command": ["/bin/sleep", "60"],
                "resources": ["cpus": 0.5, "memoryMB": 256],
            ], token: user.token)
        let jobID = try #require(job["id"]?.stringValue)
        try await withRetries(300) {
            let state = try await site.compute("GET", "/v1/jobs/\(jobID)", token: user.token)["state"]?.stringValue
            guard state == "running" else { throw POSIXError(.EAGAIN) }
        }

        let node = "[data-node-name='test-default']"
        for (width, height, name) in [(1280, 900, "nodes"), (390, 844, "nodes-phone")] {
            try await withBrowser(width: width, height: height) { browser in
                try await site.signIn(browser, email: user.email, next: "/nodes")
                #expect(try await browser.find(node).attribute("data-state") == "online")
                let capacity = try await browser.find("\(node) .node-capacity")
                #expect(try await capacity.attribute("data-cpus") == "2")
                #expect(try await capacity.attribute("data-memory-mb") == "2048")
                // Shown at once when the job was running before the page loaded, else after a refresh.
                try await browser.wait(
                    until: "return !!document.querySelector(\"\(node) tr.node-job[data-job-id='\(jobID)']\")",
                    seconds: 15)
                let row = try await browser.find("\(node) tr.node-job[data-job-id='\(jobID)']")
                #expect(try await row.attribute("data-state") == "running")
                #expect(try await row.find(".job-allocation").text().hasPrefix("0.5 CPU · 256 MB"))
                #expect(try await row.find("a").attribute("href") == "/jobs/\(jobID)")
                let allocated = try await browser.find("\(node) .alloc-cpus").attribute("data-used")
                #expect(Double(allocated ?? "") ?? 0 >= 0.5)
                // No sideways scrolling at phone width.
                let overflow = try await browser.execute(
                    "return document.documentElement.scrollWidth <= document.documentElement.clientWidth")
                #expect(overflow == .bool(true))
                try await browser.screenshot(name)
            }
        }
        try await site.compute("POST", "/v1/jobs/\(jobID)/cancel", token: user.token)
    }

    @Test("a node whose agent stops is marked lost on the open nodes page")
    func nodesPageMarksLostNode() async throws {
        let site = try site
        let user = try await site.newUser("lost")
        let queue = "lost\(ID.make().suffix(6).lowercased())"
        let agent = try site.platform.startAgent(
            queue: queue, state: try temporaryDirectory(), node: .init(cpus: 1, memoryMB: 512, pidsLimit: 16))
        let node = "[data-node-name='test-\(queue)']"
        try await withBrowser { browser in
            try await site.signIn(browser, email: user.email, next: "/nodes")
            try await browser.wait(
                until: "return document.querySelector(\"\(node)\")?.dataset.state === 'online'", seconds: 20)
            kill(agent, SIGKILL)
            // Compute gives up after 3 s without a heartbeat here; the page reads again every 5 s.
            try await browser.wait(
                until: "return document.querySelector(\"\(node)\")?.dataset.state === 'lost'", seconds: 30)
            #expect(try await browser.find("\(node) .node-state").text() == "lost")
            try await browser.execute("document.querySelector(\"\(node)\").scrollIntoView()")
            try await browser.screenshot("nodes-lost")
        }
    }

    @Test("the templates list shows the seeded templates; a user owning no project manages none")
    func templatesListShowsSeeds() async throws {
        let site = try site
        let user = try await site.newUser("templates")
        try await withBrowser { browser in
            try await site.signIn(browser, email: user.email, next: "/templates")
            for name in ["python-cpu", "python-gpu", "pytorch-cpu", "pytorch-gpu", "tensorflow-cpu", "tensorflow-gpu"] {
                let row = try await browser.find("[data-template='\(name)']")
                #expect(try await row.attribute("data-scope") == "global")
                #expect(try await row.attribute("data-manage") == "false")
            }
            #expect(try await browser.count("#template-new") == 0)
            try await browser.screenshot("templates")

            try await browser.find("[data-template='python-cpu'] a.template-link").click()
            try await browser.waitForPage()
            #expect(try await browser.find("#template-title").attribute("data-template") == "python-cpu")
            #expect(try await browser.find("#template-setup-list li").text() == "python3 --version")
            #expect(try await browser.count("#template-edit, #template-delete") == 0)
            try await browser.screenshot("template-python-cpu")
        }
        try await withBrowser(width: 390, height: 844) { browser in
            try await site.signIn(browser, email: user.email, next: "/templates")
            let fits = try await browser.execute(
                "return document.documentElement.scrollWidth <= document.documentElement.clientWidth")
            #expect(fits == .bool(true))
            try await browser.screenshot("templates-phone")
        }
    }

    @Test("an administrator creates a global template, sees a bad range beside its field, edits and deletes it")
    func adminManagesGlobalTemplate() async throws {
        let site = try site
        let admin = try await site.admin()
        let name = "web-\(ID.make().suffix(8).lowercased())"
        try await withBrowser { browser in
            try await site.signIn(
                browser, email: admin.email, password: UsersServer.adminPassword, next: "/templates/new")
            #expect(try await browser.find("#template-project").property("value") == "")
            try await browser.find("#template-name").type(name)
            try await browser.find("#template-description").type("made in the browser")
            try await browser.find("#setup-add").click()
            try await browser.find(".setup-command").type("echo ready")
            try await browser.find("#env-add").click()
            try await browser.find(".env-key").type("MODE")
            try await browser.find(".env-value input").type("fast")
            try await browser.find("#default-cpus").type("1")
            try await browser.find("#range-cpus-min").type("4")
            try await browser.find("#range-cpus-max").type("2")
            try await browser.find("#template-save").click()
            let slot = ".field-error[data-error-for='ranges.cpus.min']"
            try await browser.wait(until: "return document.querySelector(\"\(slot)\").textContent !== ''")
            #expect(try await browser.find(slot).text().contains("min is at most max"))
            #expect(try await browser.find("#range-cpus-min").attribute("aria-invalid") == "true")
            try await browser.screenshot("template-new-error")

            try await browser.find("#range-cpus-min").clear()
            try await browser.find("#range-cpus-min").type("0.5")
            try await browser.find("#template-save").click()
            try await browser.wait(until: "return location.pathname === '/templates/\(name)'")
            try await browser.waitForPage()
            try await browser.screenshot("template-created")

            try await browser.find("#template-edit").click()
            try await browser.wait(until: "return !!document.querySelector('#template-form')")
            try await browser.waitForPage()
            try await browser.find("#template-description").clear()
            try await browser.find("#template-description").type("edited")
            try await browser.find("#setup-add").click()
            try await browser.findAll(".setup-command").last?.type("echo second")
            try await browser.find("#template-save").click()
            try await browser.wait(
                until: "return location.pathname === '/templates/\(name)' && !location.search"
                    + " && document.body.dataset.ready === 'true'")
            #expect(try await browser.find("#template-description").text() == "edited")
        }
        let saved = try await site.compute("GET", "/v1/templates/\(name)", token: admin.token)
        #expect(saved["description"] == "edited")
        #expect(saved["setup"] == ["echo ready", "echo second"])
        #expect(saved["env"] == ["MODE": "fast"])
        #expect(saved["ranges"]?["cpus"]?["min"]?.numberValue == 0.5)
        #expect(saved["ranges"]?["cpus"]?["max"]?.numberValue == 2)
        #expect(saved["projectId"] == nil)

        try await withBrowser { browser in
            try await site.signIn(
                browser, email: admin.email, password: UsersServer.adminPassword, next: "/templates/\(name)")
            try await browser.find("#template-delete").click()
            try await browser.find("#template-delete-confirm").click()
            try await browser.wait(until: "return location.pathname === '/templates'")
            try await browser.waitForPage()
            #expect(try await browser.count("[data-template='\(name)']") == 0)
        }
        let gone = try await httpCall(
            site.platform.computeURL + "/v1/templates/\(name)", "GET", nil, token: admin.token)
        #expect(gone.status == 404)
    }

    @Test("a project's owner may not manage global templates but creates one for the project")
    func ownerCreatesProjectTemplate() async throws {
        let site = try site
        let owner = try await site.newUser("tplowner")
        let project = try await site.data("POST", "/v1/projects", ["name": "tpl"], token: owner.token)
        let projectID = try #require(project["id"]?.stringValue)
        let name = "proj-\(ID.make().suffix(8).lowercased())"
        try await withBrowser { browser in
            try await site.signIn(browser, email: owner.email, next: "/templates")
            #expect(try await browser.find("[data-template='python-cpu']").attribute("data-manage") == "false")
            try await browser.find("#template-new").click()
            try await browser.wait(until: "return location.pathname === '/templates/new'")
            try await browser.waitForPage()
            // Only the owned project is offered: no global choice.
            let choices = try await browser.execute(
                "return [...document.querySelectorAll('#template-project option')].map((o) => o.value)")
            #expect(choices == [.string(projectID)])
            try await browser.find("#template-name").type(name)
            try await browser.find("#default-memoryMB").type("512")
            try await browser.find("#template-save").click()
            try await browser.wait(until: "return location.pathname === '/templates/\(name)'")
            try await browser.waitForPage()
            #expect(try await browser.count("#template-edit") == 1)
            #expect(try await browser.count("#template-delete") == 1)
            try await browser.screenshot("template-project")

            try await browser.goAndWait(site.gatewayURL + "/templates/python-cpu?edit=1")
            #expect(try await browser.count("#template-form, #template-edit") == 0)
        }
        let saved = try await site.compute("GET", "/v1/templates/\(name)", token: owner.token)
        #expect(saved["projectId"]?.stringValue == projectID)
        #expect(saved["runtime"] == "host")
        #expect(saved["defaultResources"]?["memoryMB"] == 512)
        try await withBrowser(width: 390, height: 844) { browser in
            try await site.signIn(browser, email: owner.email, next: "/templates/new")
            let fits = try await browser.execute(
                "return document.documentElement.scrollWidth <= document.documentElement.clientWidth")
            #expect(fits == .bool(true))
            try await browser.screenshot("template-new-phone")
        }
    }
}
