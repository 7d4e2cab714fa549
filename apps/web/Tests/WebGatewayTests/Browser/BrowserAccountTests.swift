import Foundation
import Platform
import PlatformTesting
import Testing

/// Polls GET `url` with `token` until it answers `status`, for up to `seconds`: services cache
/// API-token answers briefly and learn of revocations and disabled accounts from the bus.
private func eventuallyStatus(_ url: String, token: String, _ status: Int, seconds: Double = 8) async throws -> Int {
    let deadline = Date().addingTimeInterval(seconds)
    var last = 0
    while Date() < deadline {
        last = try await httpCall(url, "GET", token: token).status
        if last == status { return last }
        try await Task.sleep(for: .milliseconds(200))
    }
    return last
}

/// What the users service answers to a sign-in: 201 with tokens, 403 for a disabled account.
private func signInStatus(_ site: BrowserPlatform, _ email: String) async throws -> Int {
    let body: JSONValue = ["email": .string(email), "password": .string(BrowserPlatform.password)]
    return try await httpCall(site.platform.users.url + "/v1/sessions", "POST", body, token: nil).status
}

/// Picks `value` in the <select> at `selector` as a person would: the page acts on `change`.
private func choose(_ value: String, in selector: String, _ browser: WebDriver) async throws {
    try await browser.execute(
        "const s = document.querySelector(arguments[0]); s.value = arguments[1]; s.dispatchEvent(new Event('change'))",
        [.string(selector), .string(value)])
}

extension BrowserTests {
    @Test("an API token made on the account page works, is shown once, and stops working when revoked")
    func accountTokenLifecycle() async throws {
        let site = try site
        let user = try await site.newUser("tokens")
        let usersURL = site.platform.users.url
        let markup = "<img src=x onerror=alert(1)>"
        let project = try await site.data("POST", "/v1/projects", ["name": "tokens-project"], token: user.token)
        let projectID = try #require(project["id"]?.stringValue)
        let secret = try await withBrowser { browser in
            try await site.signIn(browser, email: user.email, next: "/account")
            #expect(try await browser.find("#account-id").text() == user.id)
            #expect(try await browser.find("#account-email").text() == user.email)
            let membersLink = try await browser.find(
                "#account-projects li[data-id='\(projectID)'] .account-members-link")
            #expect(try await membersLink.attribute("href") == "/projects/\(projectID)#members")
            try await browser.find("#token-name").type(markup)
            try await browser.find("#token-days").type("30")
            try await browser.find("#token-create").click()
            try await browser.wait(until: "return !!document.querySelector('#token-secret')")
            let secret = try await browser.find("#token-secret").text()
            #expect(secret.hasPrefix("mlx_"))
            try await browser.wait(until: "return !!document.querySelector('#tokens-table tr[data-token-id]')")
            // The name is shown as the characters typed, and nothing ran.
            #expect(try await browser.find("#tokens-table .token-name").text() == markup)
            #expect(try await browser.count("#tokens img") == 0)
            #expect(try await browser.alertText() == nil)
            // The clipboard may be refused headless; either way the page says what it did.
            try await browser.find("#token-secret-copy").click()
            try await browser.wait(
                until: "return document.querySelector('#tokens .account-copy-status').textContent !== ''")
            try await browser.screenshot("account-token")

            #expect(try await httpCall(usersURL + "/v1/users/me", "GET", token: secret).status == 200)
            // Through the gateway too, so data's verifier holds it in its cache when it is revoked.
            let projects = try await httpCall(site.gatewayURL + "/api/data/v1/projects", "GET", token: secret)
            #expect(projects.status == 200)

            // Shown once: after a reload the token is listed, its secret is nowhere.
            try await browser.goAndWait(site.gatewayURL + "/account")
            #expect(try await browser.count("#token-secret") == 0)
            #expect(try await browser.count("#tokens-table tr[data-token-id]") == 1)
            let shown = try await browser.execute(
                "return document.body.textContent.includes(arguments[0])", [.string(secret)])
            #expect(shown == .bool(false))

            try await browser.find("#tokens-table .token-revoke").click()
            try await browser.wait(until: "return !document.querySelector('#tokens-table tr[data-token-id]')")
            return secret
        }
        #expect(try await eventuallyStatus(usersURL + "/v1/users/me", token: secret, 401) == 401)
        #expect(try await eventuallyStatus(site.gatewayURL + "/api/data/v1/projects", token: secret, 401) == 401)
    }

    @Test("a team made on the account page gets a member by id (a wrong id shown beside its field), then is deleted")
    func accountTeams() async throws {
        let site = try site
        let maintainer = try await site.newUser("maintainer")
        let colleague = try await site.newUser("teammate")
        let name = "saxs-\(ID.make().suffix(8))"
        let teamID = try await withBrowser { browser in
            try await site.signIn(browser, email: maintainer.email, next: "/account")
            try await browser.find("#team-name").type(name)
            try await browser.find("#team-description").type("beamline 7 analysis")
            try await browser.find("#team-create").click()
            try await browser.wait(until: "return !!document.querySelector('#team-detail')")
            let teamID = try #require(try await browser.find("#team-detail").attribute("data-team-id"))
            #expect(try await browser.count("#teams-table tr[data-team-id='\(teamID)']") == 1)

            // An id of no account: the users service's 404 names the field, shown beside it.
            try await browser.find("#team-member-id").type(ID.make())
            try await browser.find("#team-member-add").click()
            try await browser.wait(
                until: "return document.querySelector('[data-error-for=\"userId\"]').textContent !== ''")
            #expect(try await browser.find("[data-error-for=\"userId\"]").text().hasPrefix("no active user"))
            try await browser.find("#team-member-id").clear()
            try await browser.find("#team-member-id").type("not-an-id")
            try await browser.find("#team-member-add").click()
            try await browser.wait(
                until:
                    "return document.querySelector('[data-error-for=\"userId\"]').textContent.startsWith('no userId')")

            try await browser.find("#team-member-id").clear()
            try await browser.find("#team-member-id").type(colleague.id)
            try await browser.find("#team-member-add").click()
            try await browser.wait(
                until: "return !!document.querySelector('#team-members tr[data-user-id=\"\(colleague.id)\"]')")
            try await browser.screenshot("account-teams")
            return teamID
        }
        let team = try await site.call(
            site.platform.users.url, "GET", "/v1/teams/\(teamID)", nil, token: maintainer.token)
        let members = team["members"]?.arrayValue ?? []
        #expect(members.first { $0["userId"]?.stringValue == colleague.id }?["role"] == "member")
        #expect(members.first { $0["userId"]?.stringValue == maintainer.id }?["role"] == "maintainer")

        try await withBrowser { browser in
            try await site.signIn(browser, email: maintainer.email, next: "/account")
            try await browser.find("#teams-table tr[data-team-id='\(teamID)'] .team-open").click()
            try await browser.find("#team-members tr[data-user-id=\"\(colleague.id)\"] .team-member-remove").click()
            try await browser.wait(
                until: "return !document.querySelector('#team-members tr[data-user-id=\"\(colleague.id)\"]')")
            try await browser.find("#team-delete").click()
            try await browser.find("#team-delete-confirm").click()
            try await browser.wait(until: "return !!document.querySelector('#teams-status')")
            // Deleting makes the session's access token stale (its claims name the team): the page
            // updates itself instead of calling the API, so it stays instead of going to sign-in.
            #expect(try await browser.execute("return location.pathname") == "/account")
            #expect(try await browser.count("#team-detail") == 0)
            #expect(try await browser.count("#teams-table tr[data-team-id='\(teamID)']") == 0)
        }
        let fresh = try await site.platform.users.signIn(maintainer.email, password: BrowserPlatform.password)
        let gone = try await httpCall(site.platform.users.url + "/v1/teams/\(teamID)", "GET", token: fresh)
        #expect(gone.status == 404)
    }

    @Test("an administrator disables and enables an account and changes its role on the admin page")
    func adminManagesAccounts() async throws {
        let site = try site
        let person = try await site.newUser("managed")
        let usersURL = site.platform.users.url
        let admin = try await site.admin()
        let row = "#admin-users-table tr[data-user-id=\"\(person.id)\"]"
        try await withBrowser { browser in
            try await site.signIn(
                browser, email: UsersServer.adminEmail, password: UsersServer.adminPassword, next: "/admin")
            #expect(try await browser.count("#admin-link") == 1)
            // Every test of this process shares the users service: the account may be pages away.
            if try await browser.count(row) == 0, try await browser.count("#admin-users-all") == 1 {
                try await browser.find("#admin-users-all").click()
            }
            try await browser.wait(until: "return !!document.querySelector('\(row)')")
            try await browser.find("#admin-user-filter").type(person.email)
            try await browser.wait(
                until: "return document.querySelectorAll('#admin-users-table tbody tr:not([hidden])').length === 1")

            try await browser.find("\(row) .admin-disable").click()
            try await browser.wait(until: "return document.querySelector('\(row)').dataset.disabled === 'true'")
            try await browser.screenshot("admin-disabled")
            #expect(try await signInStatus(site, person.email) == 403)
            #expect(try await eventuallyStatus(usersURL + "/v1/users/me", token: person.token, 401) == 401)
            // Data hears of it on the bus.
            let throughGateway = site.gatewayURL + "/api/data/v1/projects"
            #expect(try await eventuallyStatus(throughGateway, token: person.token, 401) == 401)

            try await browser.find("\(row) .admin-enable").click()
            try await browser.wait(until: "return document.querySelector('\(row)').dataset.disabled === 'false'")
            #expect(try await signInStatus(site, person.email) == 201)

            try await choose("admin", in: "\(row) .admin-role", browser)
            try await browser.wait(until: "return document.querySelector('\(row)').dataset.role === 'admin'")
            let promoted = try await site.call(usersURL, "GET", "/v1/users/\(person.id)", nil, token: admin.token)
            #expect(promoted["role"] == "admin")
            try await choose("user", in: "\(row) .admin-role", browser)
            try await browser.wait(until: "return document.querySelector('\(row)').dataset.role === 'user'")
            let demoted = try await site.call(usersURL, "GET", "/v1/users/\(person.id)", nil, token: admin.token)
            #expect(demoted["role"] == "user")
            #expect(demoted["disabled"] == false)
            try await browser.find("#admin-user-filter").clear()
            try await browser.screenshot("admin")
        }
    }

    @Test("a plain user sees no admin link, and /admin says it is for administrators")
    func adminOnlyForAdmins() async throws {
        let site = try site
        let user = try await site.newUser("plain")
        try await withBrowser { browser in
            try await site.signIn(browser, email: user.email, next: "/admin")
            #expect(try await browser.count("#admin-link") == 0)
            #expect(try await browser.count("#admin-only") == 1)
            #expect(try await browser.count("#admin-users-table") == 0)
        }
        let listed = try await httpCall(site.platform.users.url + "/v1/users", "GET", token: user.token)
        #expect(listed.status == 403)
    }

    /// A real rotation of the users service the whole process shares: the test waits until data,
    /// compute and mlhub take tokens signed with the new key (each fetches keys at most every
    /// 5 s), so the suite's later tests see a settled platform.
    @Test("key rotation asks to confirm, can be cancelled, rotates, and old and new tokens work everywhere")
    func adminKeyRotationConfirm() async throws {
        let site = try site
        let jwks = site.platform.users.url + "/.well-known/jwks.json"
        let keysBefore = try await httpCall(jwks, "GET", token: nil).body["keys"]?.arrayValue?.count
        let before = try await site.newUser("before-rotation").token
        try await withBrowser { browser in
            try await site.signIn(
                browser, email: UsersServer.adminEmail, password: UsersServer.adminPassword, next: "/admin")
            #expect(try await browser.find("#admin-published-keys").text().contains("Published key ids"))
            try await browser.find("#rotate-key").click()
            #expect(
                try await browser.execute("return document.querySelector('#rotate-key-confirm-box').hidden") == false)
            try await browser.screenshot("admin-rotate-confirm")
            try await browser.find("#rotate-key-cancel").click()
            #expect(
                try await browser.execute("return document.querySelector('#rotate-key-confirm-box').hidden") == true)

            // The real rotation: nobody is signed out, and every service takes the new key's
            // tokens once its key-refresh throttle (5 s) lets it fetch the key.
            try await browser.find("#rotate-key").click()
            try await browser.find("#rotate-key-confirm").click()
            try await browser.wait(until: "return !!document.querySelector('#rotated-kid')")
            let kid = try await browser.find("#rotated-kid").text()
            let published = try await httpCall(jwks, "GET", token: nil).body["keys"]?.arrayValue ?? []
            #expect(published.count == (keysBefore ?? 0) + 1)
            #expect(published.contains { $0["kid"]?.stringValue == kid })
            #expect(try await browser.find("#admin-published-keys").text().contains(kid))
        }
        let after = try await site.newUser("after-rotation").token
        let reads = [
            site.platform.dataURL + "/v1/projects", site.platform.computeURL + "/v1/jobs", site.hubURL + "/v1/search",
        ]
        for url in reads {
            try await withRetries(150) {
                for token in [before, after] {
                    let answer = try await httpCall(url, "GET", token: token)
                    guard answer.status == 200 else { throw POSIXError(.EAGAIN) }
                }
            }
        }
    }

    @Test("the account and admin pages fit a phone's width")
    func accountPagesOnPhone() async throws {
        let site = try site
        let user = try await site.newUser("phone")
        try await withBrowser(width: 390, height: 844) { browser in
            try await site.signIn(browser, email: user.email, next: "/account")
            try await browser.find("#token-name").type("laptop-\(ID.make().suffix(6))")
            try await browser.find("#token-create").click()
            try await browser.wait(until: "return !!document.querySelector('#token-secret')")
            try await browser.find("#team-name").type("phone-team-\(ID.make().suffix(6))")
            try await browser.find("#team-create").click()
            try await browser.wait(until: "return !!document.querySelector('#team-detail')")
            #expect(
                try await browser.execute("return document.documentElement.scrollWidth <= window.innerWidth") == true)
            try await browser.execute("window.scrollTo(0, 0)")
            try await browser.screenshot("account-phone")
            try await browser.execute("document.querySelector('#tokens').scrollIntoView()")
            try await browser.screenshot("account-token-phone")
            try await browser.execute("document.querySelector('#teams').scrollIntoView()")
            try await browser.screenshot("account-teams-phone")
        }
        try await withBrowser(width: 390, height: 844) { browser in
            try await site.signIn(
                browser, email: UsersServer.adminEmail, password: UsersServer.adminPassword, next: "/admin")
            #expect(
                try await browser.execute("return document.documentElement.scrollWidth <= window.innerWidth") == true)
            try await browser.screenshot("admin-phone")
        }
    }
}
