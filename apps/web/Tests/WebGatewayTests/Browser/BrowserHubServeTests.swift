import Foundation
import Platform
import PlatformTesting
import Testing

extension BrowserTests {
    @Test(
        "deploy form, Serve: replicas checked by the browser and by the platform beside their field, then a deployment of the version answers on its page"
    )
    func deployAsService() async throws {
        let site = try site
        let (owner, project) = try await site.newProject("server")
        var card = HubPackage.card(name: "doubler", task: "regression", framework: "python")
        card["command"] = ["/usr/bin/python3", "-c", .string(ServedModel.script)]
        card["resources"] = ["cpus": 0.25, "memoryMB": 128]
        card["inputSchema"] = ServedModel.inputSchema
        let modelID = try await site.ingestModel(HubPackage(card: card), project: project, token: owner.token)
        let deployPath = "/models/\(modelID)/versions/1/deploy"
        let slot = ".field-error[data-error-for='service.replicas']"

        let deploymentID = try await withBrowser { browser in
            try await site.signIn(browser, email: owner.email, next: deployPath)
            try await browser.execute("document.querySelector('select[name=\"parameters.mode\"]').value = 'fast'")
            // A job by default: no serving fields, the timeout shown.
            #expect(try await browser.find("#deploy-service").property("hidden") == true)
            try await browser.find("#deploy-mode-service").click()
            #expect(try await browser.find("#deploy-service").property("hidden") == false)
            #expect(try await browser.find("#deploy-submit").text() == "Deploy as a service")

            // 17 replicas: the browser's own check, beside the field; nothing is sent.
            let replicas = try await browser.find("#deploy-replicas")
            try await replicas.clear()
            try await replicas.type("17")
            try await browser.find("#deploy-submit").click()
            try await browser.wait(until: "return document.querySelector(\"\(slot)\").textContent !== ''")
            #expect(try await browser.find(slot).text().hasPrefix("service.replicas:"))
            try await browser.screenshot("deploy-serve-error")

            // Without the browser's limit the platform refuses it, named in the same place.
            try await browser.execute("document.querySelector('#deploy-replicas').removeAttribute('max')")
            try await browser.find("#deploy-submit").click()
            try await browser.wait(
                until: "const slot = document.querySelector(\"\(slot)\");"
                    + " return slot.textContent !== '' && !slot.textContent.startsWith('service.replicas:')")
            #expect(try await replicas.attribute("aria-invalid") == "true")
            #expect(try await browser.currentURL().hasSuffix(deployPath))

            try await replicas.clear()
            try await replicas.type("1")
            try await browser.find("#deploy-idle").type("5")
            try await browser.screenshot("deploy-serve")
            try await browser.find("#deploy-submit").click()
            try await browser.wait(
                until: "return location.pathname.startsWith('/serving/') && document.body.dataset.ready === 'true'")
            let id = String(try await browser.currentURL().split(separator: "/serving/").last ?? "")
            try await browser.wait(
                until: "return document.querySelectorAll('#deployment-replicas li[data-state=running]').length === 1",
                seconds: 90)
            // The card's input schema checks invocations; the replica answers the rest.
            try await browser.tryInvocation(#"{"inputs": [{"x": 5000}]}"#, expecting: 400)
            #expect(
                try await browser.find(".field-error[data-error-for='body']").attribute("data-field") == "inputs.0.x")
            try await browser.tryInvocation(#"{"inputs": [{"x": 2}]}"#, expecting: 200)
            #expect(try JSONValue.parse(try await browser.find("#try-answer").text())["predictions"] == [4])
            try await browser.screenshot("deploy-serve-deployment")
            return id
        }
        let deployment = try await site.compute("GET", "/v1/deployments/\(deploymentID)", token: owner.token)
        #expect(deployment["spec"]?["replicas"] == 1 && deployment["spec"]?["idleSeconds"] == 300)
        #expect(deployment["spec"]?["modelVersionId"]?.stringValue?.isEmpty == false, "\(deployment.jsonText)")
        #expect(deployment["spec"]?["inputSchema"] == ServedModel.inputSchema)
        try await site.compute("DELETE", "/v1/deployments/\(deploymentID)", token: owner.token)
    }
}
