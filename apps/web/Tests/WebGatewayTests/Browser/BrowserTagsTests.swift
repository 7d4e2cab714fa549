import Foundation
import Platform
import PlatformTesting
import Testing

extension BrowserTests {
    /// Waits until the tag service has heard of the entity (from the bus) and the caller may read it.
    private func waitForTagService(
        _ site: BrowserPlatform, kind: String, id: String, token: String
    ) async throws {
        let deadline = Date().addingTimeInterval(20)
        while true {
            let answer = try await httpCall(
                site.tagURL + "/v1/entities/\(kind)/\(id)/tags", "GET", nil, token: token)
            if answer.status == 200 { return }
            try #require(Date() < deadline, "the tag service never knew \(kind) \(id): \(answer.status)")
            try await Task.sleep(for: .milliseconds(200))
        }
    }

    /// The tags the tag service holds for the entity, as `key` or `key:value`.
    private func storedTags(_ site: BrowserPlatform, kind: String, id: String, token: String) async throws -> [String] {
        let answer = try await site.tags("GET", "/v1/entities/\(kind)/\(id)/tags", token: token)
        return (answer["items"]?.arrayValue ?? []).compactMap { $0["tag"]?.stringValue }
    }

    /// Adds `tag` through the panel's input and waits for its chip.
    private func addLabel(_ tag: String, _ browser: WebDriver) async throws {
        try await browser.find("#tag-input").type(tag)
        try await browser.find("#tag-add").click()
        let quoted = JSONValue.string(tag).jsonText
        try await browser.wait(
            until:
                "return [...document.querySelectorAll('#entity-tags .tag-chip')].some((chip) => chip.dataset.tag === \(quoted))"
        )
    }

    @Test("labels: add and remove on a run page, see them in the by-tag view, a hostile value as text")
    func labelsOnRunPage() async throws {
        let site = try site
        let seeded = try await SeededProject.make(site, runs: 1)
        let runID = seeded.runs[0]["id"]?.stringValue ?? ""
        let hostile = "note:<img src=x onerror=alert(1)>"
        try await waitForTagService(site, kind: "run", id: runID, token: seeded.owner.token)

        try await withBrowser { browser in
            try await site.signIn(browser, email: seeded.owner.email, next: "/runs/\(runID)")
            try await browser.wait(until: "return document.querySelector('#entity-tags').dataset.state === 'ready'")
            #expect(try await browser.find("#entity-tags").attribute("data-can-edit") == "true")
            try await addLabel("stage:prod", browser)
            try await addLabel("baseline", browser)
            try await browser.find("#tag-input").type(hostile)
            try await browser.find("#tag-add").click()
            try await browser.wait(until: "return document.querySelectorAll('#entity-tags .tag-chip').length === 3")
            #expect(
                try await storedTags(site, kind: "run", id: runID, token: seeded.owner.token).sorted()
                    == ["baseline", hostile, "stage:prod"])
            // The hostile value is characters on the page: no image element, no dialog.
            #expect(try await browser.count("#entity-tags img") == 0)
            #expect(
                try await browser.execute(
                    "return [...document.querySelectorAll('#entity-tags .tag-chip')].some((chip) => chip.dataset.tag === arguments[0] && chip.textContent.includes(arguments[0]))",
                    [.string(hostile)]) == .bool(true))
            #expect(try await browser.alertText() == nil)

            // A bad key is refused with the tag service's message, shown in the panel.
            try await browser.find("#tag-input").type("bad key!")
            try await browser.find("#tag-add").click()
            try await browser.wait(
                until: "return document.querySelector('#entity-tags .tag-message').textContent.includes('tag key')")
            try await browser.find("#tag-input").clear()
            try await browser.screenshot("labels-panel")

            try await browser.find("#entity-tags [data-tag=\"baseline\"] .tag-remove").click()
            try await browser.wait(until: "return !document.querySelector('#entity-tags [data-tag=\"baseline\"]')")
            #expect(
                try await storedTags(site, kind: "run", id: runID, token: seeded.owner.token).sorted()
                    == [hostile, "stage:prod"])

            // A chip opens the project's by-tag view of that label.
            try await browser.find("#entity-tags [data-tag=\"stage:prod\"] a").click()
            try await browser.wait(until: "return location.pathname.endsWith('/tags')")
            try await browser.waitForPage()
            #expect(try await browser.currentURL().contains("/projects/\(seeded.project)/tags?tag=stage%3Aprod"))
            let row = try await browser.find("#tagged-table tr[data-entity-id=\"\(runID)\"]")
            #expect(try await row.attribute("data-kind") == "run")
            #expect(try await row.find("a").attribute("href") == "/runs/\(runID)")
            #expect(try await browser.find("#tag-counts [data-tag=\"stage:prod\"] .tag-count-number").text() == "1")
            #expect(try await browser.count("#tag-counts [data-tag=\"baseline\"]") == 0)
            #expect(try await browser.count("main img") == 0)
            #expect(try await browser.alertText() == nil)
            try await browser.screenshot("tagged-view")

            // The key alone matches every value; a kind with none of it shows nothing.
            try await browser.goAndWait(site.gatewayURL + "/projects/\(seeded.project)/tags?tag=note")
            try await browser.find("#tagged-table tr[data-entity-id=\"\(runID)\"]")
            try await browser.goAndWait(site.gatewayURL + "/projects/\(seeded.project)/tags?tag=note&kind=job")
            try await browser.find("#tagged-none")
        }

        try await withBrowser(width: 390, height: 844) { browser in
            try await site.signIn(browser, email: seeded.owner.email, next: "/runs/\(runID)")
            try await browser.wait(until: "return document.querySelector('#entity-tags').dataset.state === 'ready'")
            try await browser.execute("document.querySelector('#entity-tags').scrollIntoView()")
            try await browser.screenshot("labels-panel-phone")
            let escaped = hostile.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
            try await browser.goAndWait(site.gatewayURL + "/projects/\(seeded.project)/tags?tag=\(escaped)")
            try await browser.find("#tagged-table tr[data-entity-id=\"\(runID)\"]")
            #expect(
                try await browser.execute("return document.documentElement.scrollWidth <= window.innerWidth")
                    == .bool(true))
            #expect(try await browser.alertText() == nil)
            try await browser.screenshot("tagged-view-phone")
        }
    }

    @Test("labels: a viewer sees a project's labels without add or remove")
    func labelsReadOnlyForViewers() async throws {
        let site = try site
        let seeded = try await SeededProject.make(site, runs: 1)
        let viewer = try await site.newUser("reader")
        try await site.data(
            "PUT", "/v1/projects/\(seeded.project)/members/user/\(viewer.id)", ["role": "viewer"],
            token: seeded.owner.token)
        try await waitForTagService(site, kind: "project", id: seeded.project, token: seeded.owner.token)
        try await site.tags(
            "POST", "/v1/entities/project/\(seeded.project)/tags", ["tags": ["area:saxs"]], token: seeded.owner.token)
        // The tag service learns the membership from the bus too.
        try await waitForTagService(site, kind: "project", id: seeded.project, token: viewer.token)

        try await withBrowser { browser in
            try await site.signIn(browser, email: viewer.email, next: "/projects/\(seeded.project)")
            try await browser.wait(until: "return document.querySelector('#entity-tags').dataset.state === 'ready'")
            #expect(try await browser.find("#entity-tags").attribute("data-can-edit") == "false")
            #expect(try await browser.count("#entity-tags [data-tag=\"area:saxs\"]") == 1)
            #expect(try await browser.count("#entity-tags .tag-remove") == 0)
            #expect(try await browser.find("#tag-input").property("offsetParent") == .null)
            #expect(try await browser.find("#tags-link").attribute("href") == "/projects/\(seeded.project)/tags")
            try await browser.execute("document.querySelector('#entity-tags').scrollIntoView()")
            try await browser.screenshot("labels-viewer")
        }
    }
}
