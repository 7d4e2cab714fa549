import Foundation
import Platform
import PlatformTesting
import Testing

extension BrowserTests {
    @Test(
        "deploy form from the parameter schema: the browser's range check and the hub's field error shown inline, then a deploy lands on its job with the params"
    )
    func deployFromSchemaForm() async throws {
        let site = try site
        let (owner, project) = try await site.newProject("deployer")
        let card = HubPackage.card(name: "denoiser", task: "denoising", framework: "numpy")
        let modelID = try await site.ingestModel(HubPackage(card: card), project: project, token: owner.token)
        let deployPath = "/models/\(modelID)/versions/1/deploy"
        let slot = ".field-error[data-error-for='parameters.threshold']"

        let jobID = try await withBrowser { browser in
            try await site.signIn(browser, email: owner.email, next: "/models/\(modelID)")
            // The ingested package's files, each a download through the gateway.
            let weights = try await browser.find("#version-files a.download[data-path='weights.bin']")
            #expect(try await weights.attribute("href")?.hasPrefix("/api/data/v1/projects/\(project)/files/") == true)
            try await browser.find("#deploy-link").click()
            try await browser.wait(
                until: "return location.pathname === '\(deployPath)' && document.body.dataset.ready === 'true'")
            // The form is the schema's: a required choice, a ranged number with its default, a
            // boolean, a string with a length limit; the card's resources; the model's project.
            #expect(try await browser.find("select[name='parameters.mode']").attribute("required") != nil)
            let threshold = try await browser.find("input[name='parameters.threshold']")
            #expect(try await threshold.property("value") == "0.5")
            #expect(try await threshold.attribute("max") == "1")
            #expect(try await browser.find("input[name='parameters.verbose']").attribute("type") == "checkbox")
            #expect(try await browser.find("input[name='parameters.note']").attribute("maxlength") == "20")
            #expect(try await browser.find("#deploy-cpus").property("value") == "0.5")
            #expect(try await browser.find("#deploy-project").property("value") == .string(project))

            // Out of range: the browser's own check, beside the field; nothing is sent.
            try await browser.execute("document.querySelector('select[name=\"parameters.mode\"]').value = 'exact'")
            try await threshold.clear()
            try await threshold.type("2")
            try await browser.find("#deploy-submit").click()
            try await browser.wait(until: "return document.querySelector(\"\(slot)\").textContent !== ''")
            #expect(try await browser.find(slot).text().hasPrefix("parameters.threshold:"))
            try await browser.screenshot("deploy-error")

            // With the browser's limit taken away the hub refuses it, and says so in the same place.
            try await browser.execute(
                "document.querySelector(\"input[name='parameters.threshold']\").removeAttribute('max')")
            try await browser.find("#deploy-submit").click()
            try await browser.wait(until: "return document.querySelector(\"\(slot)\").textContent === 'at most 1'")
            #expect(try await threshold.attribute("aria-invalid") == "true")
            #expect(try await browser.currentURL().hasSuffix(deployPath))

            try await threshold.clear()
            try await threshold.type("0.25")
            try await browser.find("input[name='parameters.verbose']").click()
            try await browser.find("#deploy-name").type("first deploy")
            try await browser.find("#deploy-submit").click()
            try await browser.wait(until: "return location.pathname.startsWith('/jobs/')")
            return String(try await browser.currentURL().split(separator: "/jobs/").last ?? "")
        }
        let job = try await site.compute("GET", "/v1/jobs/\(jobID)", token: owner.token)
        #expect(job["spec"]?["params"] == ["mode": "exact", "threshold": 0.25, "verbose": true])
        #expect(job["name"] == "first deploy")
        #expect(job["projectId"] == .string(project))
        let state = try await withRetries(600) {
            let state = try await site.compute("GET", "/v1/jobs/\(jobID)", token: owner.token)["state"]?.stringValue
            guard let state, ["succeeded", "failed", "cancelled", "timed_out"].contains(state) else {
                throw POSIXError(.EAGAIN)
            }
            return state
        }
        #expect(state == "succeeded")

        try await withBrowser(width: 390, height: 844) { browser in
            try await site.signIn(browser, email: owner.email, next: deployPath)
            try await browser.find("#deploy-submit").click()
            try await browser.wait(
                until:
                    "return document.querySelector(\".field-error[data-error-for='parameters.mode']\").textContent !== ''"
            )
            #expect(try await browser.execute("return document.documentElement.scrollWidth <= innerWidth") == true)
            try await browser.screenshot("deploy-error-phone")
        }
    }
}
