import Foundation
import Platform
import PlatformTesting
import Testing

/// A session of headless Chromium for one test, ended whatever happens; the test fails when
/// the last page it saw noted a script error or a CSP violation.
func withBrowser<T: Sendable>(
    width: Int = 1280, height: Int = 800, downloads: URL? = nil, _ body: (WebDriver) async throws -> T
) async throws -> T {
    let browser = try await WebDriver.session(width: width, height: height, downloads: downloads)
    do {
        let result = try await body(browser)
        // The page the test ended on ran without script errors or CSP violations.
        try await browser.expectNoPageErrors()
        await browser.quit()
        return result
    } catch {
        await browser.quit()
        throw error
    }
}

/// The web application in Debian's Chromium, headless, driven through chromedriver (W3C
/// WebDriver), against real users, data, compute and gateway processes. Each page's screenshot
/// is saved under `.build/test-output/browser/`.
@Suite("Browser: the web application in headless Chromium", .serialized)
struct BrowserTests {
    var site: BrowserPlatform { get throws { try BrowserPlatform.shared.get() } }

    @Test("a signed-out visitor is sent to sign-in, and comes back to the page asked for after signing in")
    func signedOutVisitorSignsIn() async throws {
        let site = try site
        let user = try await site.newUser("visitor")
        try await withBrowser { browser in
            try await browser.go(site.gatewayURL + "/projects?view=trashed")
            try await browser.wait(until: "return location.pathname === '/signin'")
            #expect(try await browser.currentURL().contains("next=%2Fprojects%3Fview%3Dtrashed"))
            try await browser.wait(until: "return document.body.dataset.ready === 'true'")
            try await browser.screenshot("signin")
            try await browser.find("#email").type(user.email)
            try await browser.find("#password").type(BrowserPlatform.password)
            try await browser.find("#signin-submit").click()
            try await browser.wait(until: "return location.search === '?view=trashed'")
            #expect(try await browser.find("h1").text() == "Trashed projects")
        }
    }

    @Test("register, stay signed in across reloads with no token visible to scripts, sign out")
    func registerAndSignOut() async throws {
        let site = try site
        let email = "newcomer-\(ID.make().suffix(12))@lab.example"
        try await withBrowser { browser in
            try await browser.goAndWait(site.gatewayURL + "/signin")
            try await browser.find("#register-toggle").click()
            try await browser.find("#email").type(email)
            try await browser.find("#password").type(BrowserPlatform.password)
            try await browser.find("#display-name").type("Nora Newcomer")
            try await browser.find("#signin-submit").click()
            try await browser.wait(until: "return location.pathname === '/projects'")
            try await browser.wait(until: "return document.body.dataset.ready === 'true'")
            #expect(try await browser.find("#who").text() == "Nora Newcomer")
            // HttpOnly: the session cookies exist but no script can read them.
            #expect(try await browser.execute("return document.cookie") == .string(""))

            try await browser.goAndWait(site.gatewayURL + "/projects")
            #expect(try await browser.find("#who").text() == "Nora Newcomer")

            try await browser.find("#sign-out").click()
            try await browser.wait(until: "return location.pathname === '/signin'")
            try await browser.go(site.gatewayURL + "/projects")
            try await browser.wait(until: "return location.pathname === '/signin'")
        }
    }

    @Test("a bad password shows the users service's error on the sign-in page")
    func badPassword() async throws {
        let site = try site
        let user = try await site.newUser("typo")
        try await withBrowser { browser in
            try await browser.goAndWait(site.gatewayURL + "/signin")
            try await browser.find("#email").type(user.email)
            try await browser.find("#password").type("not the password")
            try await browser.find("#signin-submit").click()
            let error = try await browser.find("#signin-error .error")
            #expect(try await error.text() == "wrong email or password")
            #expect(try await browser.currentURL().hasSuffix("/signin"))
        }
    }

    @Test("create a project, trash it and restore it")
    func projects() async throws {
        let site = try site
        let user = try await site.newUser("owner")
        let name = "beamline-\(ID.make().suffix(6))"
        try await withBrowser { browser in
            try await site.signIn(browser, email: user.email)
            try await browser.find("#new-project-name").type(name)
            try await browser.find("#new-project-description").type("SAXS runs")
            try await browser.find("#create-project").click()
            try await browser.wait(until: "return location.pathname.startsWith('/projects/')")
            try await browser.wait(until: "return document.body.dataset.ready === 'true'")
            #expect(try await browser.find("#project-name").text() == name)
            try await browser.screenshot("project-empty")

            try await browser.goAndWait(site.gatewayURL + "/projects")
            try await browser.screenshot("projects")
            try await browser.find("#projects tr[data-id] button.trash").click()
            try await browser.wait(until: "return !document.querySelector('#projects tr[data-id]')")
            try await browser.goAndWait(site.gatewayURL + "/projects?view=trashed")
            #expect(try await browser.find("#projects tr[data-id] td").text() == name)
            try await browser.find("#projects tr[data-id] button.restore").click()
            try await browser.wait(until: "return !document.querySelector('#projects tr[data-id]')")
            try await browser.goAndWait(site.gatewayURL + "/projects")
            #expect(try await browser.find("#projects .project-link").text() == name)
        }
    }
}
