import Foundation
import Platform
import PlatformTesting
import Testing

extension BrowserTests {
    @Test("an owner grants a colleague a role on the project page; the colleague then sees the runs")
    func grantRole() async throws {
        let site = try site
        let seeded = try await SeededProject.make(site, runs: 2)
        let colleague = try await site.newUser("colleague")
        try await withBrowser { browser in
            try await site.signIn(browser, email: seeded.owner.email, next: "/projects/\(seeded.project)")
            try await browser.find("#member-id").type(colleague.id)
            try await browser.execute("document.querySelector('#member-role').value = 'viewer'")
            try await browser.find("#add-member").click()
            try await browser.wait(
                until: "return document.querySelector('#members').textContent.includes('\(colleague.id)')")
            try await browser.screenshot("members")
        }
        let members = try await site.data("GET", "/v1/projects/\(seeded.project)/members", token: seeded.owner.token)
        let granted = members["items"]?.arrayValue?.first { $0["memberId"]?.stringValue == colleague.id }
        #expect(granted?["role"] == "viewer")

        try await withBrowser { browser in
            try await site.signIn(browser, email: colleague.email, next: "/projects/\(seeded.project)")
            try await browser.waitForTable()
            #expect(try await browser.tableRunIDs().count == 2)
        }
    }
}
