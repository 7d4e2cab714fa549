import Foundation
import Platform
import PlatformTesting
import Testing

extension BrowserTests {
    @Test("datasets: versions with their state and files, the runs that used each, and the run's lineage back")
    func datasets() async throws {
        let site = try site
        let seeded = try await SeededProject.make(site, runs: 1)
        let token = seeded.owner.token
        let runID = seeded.runs[0]["id"]?.stringValue ?? ""
        let dataset = try await site.data(
            "POST", "/v1/projects/\(seeded.project)/datasets", ["name": "saxs-frames"], token: token)
        let datasetID = dataset["id"]?.stringValue ?? ""
        let version = try await site.data("POST", "/v1/datasets/\(datasetID)/versions", [:], token: token)
        let versionID = version["id"]?.stringValue ?? ""
        let stored = try await httpSend(
            site.platform.dataURL + "/v1/dataset-versions/\(versionID)/files/frames/0001.tif",
            "PUT", bytes: Data("frame".utf8), token: token)
        #expect(stored.status == 201 || stored.status == 200)
        try await site.data("POST", "/v1/dataset-versions/\(versionID)/finalize", token: token)
        try await site.data("PUT", "/v1/runs/\(runID)/inputs/\(versionID)", token: token)

        try await withBrowser { browser in
            try await site.signIn(browser, email: seeded.owner.email, next: "/projects/\(seeded.project)")
            try await browser.find("#datasets-link").click()
            try await browser.wait(
                until: "return location.pathname.endsWith('/datasets') && document.body.dataset.ready === 'true'")
            try await browser.find("#datasets a").click()
            try await browser.wait(
                until: "return location.pathname.startsWith('/datasets/') && document.body.dataset.ready === 'true'")
            #expect(try await browser.find("main h1").text() == "saxs-frames")
            #expect(try await browser.find(".version h3").text() == "Version 1 · final")
            let version = try await browser.find(".version").text()
            #expect(version.contains("frames/0001.tif"))
            #expect(version.contains(runID))
            try await browser.screenshot("dataset")

            try await browser.goAndWait(site.gatewayURL + "/runs/\(runID)")
            #expect(try await browser.find("#lineage").text().contains(versionID))
        }
    }
}
