import Foundation
import HTTPTypes
import HavenService
import HavenTestSupport
import Hummingbird
import HummingbirdTesting
import NIOCore
import Postgres
import Testing

@testable import HavenHTTP

@Suite(
    "The admin's staff-change forms: a person's page, the second admin's approval, the TOTP policy",
    .needsTestDatabase
)
struct WebAdminStaffPageTests {
    static func active(_ fixture: HTTPFixture, _ id: UUID) async throws -> Bool {
        try await fixture.owner.query("SELECT active FROM staff WHERE id = \(id)")[0].decode(0, as: Bool.self)
    }

    static func roles(_ fixture: HTTPFixture, _ id: UUID) async throws -> [String] {
        try await fixture.owner.query("SELECT roles FROM staff WHERE id = \(id)")[0].decode(0, as: [String].self)
    }

    /// The ids in a page's `/admin/changes/{id}/<verb>` form actions.
    static func changeIDs(_ html: String, _ verb: String) -> [String] {
        html.components(separatedBy: #"action="/admin/changes/"#).dropFirst().compactMap { part in
            let id = String(part.prefix { $0 != "/" })
            return part.dropFirst(id.count).hasPrefix("/\(verb)\"") ? id : nil
        }
    }

    @Test func theFormsAreForAdminsOnlyAndAForgedPostChangesNothing() async throws {
        try await HTTPFixture.with { fixture, client in
            let staff = try await WebAdminPageTests.addStaff(fixture)
            let riley = staff.riley.uuidString.lowercased()
            let office = try await WebPageTests.signIn(client, "office@harbor.example")
            let page = try await WebPageTests.get(client, office, "/admin/staff/\(riley)")
            #expect(page.status == .ok)
            #expect(page.html.contains(#"action="/admin/staff/\#(riley)/disable""#))
            #expect(page.html.contains(#"action="/admin/staff/\#(riley)/roles""#))
            #expect(page.html.contains("<h1>Riley &lt;O&#39;Neil&gt;</h1>"))
            WebPageTests.expectNothingInline(page.html)
            let list = try await WebPageTests.get(client, office, "/admin/staff")
            #expect(list.html.contains(#"href="/admin/staff/\#(riley)""#))

            // A counselor: the page and the form are refused, and nothing changes.
            let dana = try await WebPageTests.signIn(client, "dana@harbor.example")
            #expect(try await WebPageTests.get(client, dana, "/admin/staff/\(riley)").status == .forbidden)
            let forged = try await WebPageTests.post(client, dana, "/admin/staff/\(riley)/disable", [])
            #expect(forged.status == .forbidden && forged.html.contains("Not for your role"))
            // An admin's form without its CSRF token: 403, nothing changes.
            let noToken = try await WebPageTests.post(client, office, "/admin/staff/\(riley)/disable", [], csrf: false)
            #expect(noToken.status == .forbidden)
            #expect(try await Self.active(fixture, staff.riley))
            // Their own page has no forms.
            let own = try await WebPageTests.get(client, office, "/admin/staff/\(staff.admin.uuidString.lowercased())")
            #expect(own.html.contains("This is your own account") && !own.html.contains("/disable\""))
        }
    }

    @Test func anAdminDisablesAndReEnablesAnAccountThroughThePages() async throws {
        try await HTTPFixture.with { fixture, client in
            _ = try await WebAdminPageTests.addStaff(fixture)
            let office = try await WebPageTests.signIn(client, "office@harbor.example")
            let danaBrowser = try await WebPageTests.signIn(client, "dana@harbor.example")
            let dana = fixture.dana.staffID.uuidString.lowercased()
            let disabled = try await WebPageTests.post(client, office, "/admin/staff/\(dana)/disable", [])
            #expect(disabled.status == .seeOther && disabled.location == "/admin/staff/\(dana)?done=disabled")
            #expect(try await !Self.active(fixture, fixture.dana.staffID))
            let gone = try await WebPageTests.get(client, danaBrowser, "/today")
            #expect(gone.status == .seeOther && gone.location?.hasPrefix("/sign-in") == true, "dead at once")
            let page = try await WebPageTests.get(client, office, disabled.location ?? "")
            #expect(page.html.contains("Disabled: the account") && page.html.contains("Re-enable the account"))
            let enabled = try await WebPageTests.post(client, office, "/admin/staff/\(dana)/enable", [])
            #expect(enabled.location == "/admin/staff/\(dana)?done=enabled")
            #expect(try await Self.active(fixture, fixture.dana.staffID))
        }
    }

    @Test func aRefusedFormKeepsWhatWasTypedAndASecondAdminApproves() async throws {
        try await HTTPFixture.with { fixture, client in
            let (staff, _) = try await StaffChangeRouteTests.addStaff(fixture)
            let office = try await WebPageTests.signIn(client, "office@harbor.example")
            let sam = fixture.sam.staffID.uuidString.lowercased()
            let typed = [("role-admin", "on"), ("role-counselor", "on")]
            let proposed = try await WebPageTests.post(client, office, "/admin/staff/\(sam)/roles", typed)
            #expect(proposed.location == "/admin/staff/\(sam)?done=proposed")
            #expect(try await Self.roles(fixture, fixture.sam.staffID) == ["counselor"])
            // The same again: refused (already waiting), the page comes back with the boxes as ticked.
            let again = try await WebPageTests.post(client, office, "/admin/staff/\(sam)/roles", typed)
            #expect(again.status == .conflict)
            #expect(again.html.contains("Roles: are already these"))
            #expect(again.html.contains(#"id="role-admin" name="role-admin" type="checkbox" value="on" checked"#))
            #expect(
                !again.html.contains(#"id="role-scheduler" name="role-scheduler" type="checkbox" value="on" checked"#)
            )
            // No roles at all: the operator command's rule, in the page.
            let none = try await WebPageTests.post(client, office, "/admin/staff/\(sam)/roles", [])
            #expect(none.status == .unprocessableContent && none.html.contains("Roles: give at least one of"))

            // The proposer sees Withdraw only; the second admin sees Approve.
            let mine = try await WebPageTests.get(client, office, "/admin/staff")
            #expect(Self.changeIDs(mine.html, "approve").isEmpty && Self.changeIDs(mine.html, "decline").count == 1)
            #expect(mine.html.contains("Grant admin to Sam Ortiz") && mine.html.contains("Withdraw"))
            let second = try await WebPageTests.signIn(client, "second@harbor.example")
            let theirs = try await WebPageTests.get(client, second, "/admin/staff")
            let change = try #require(Self.changeIDs(theirs.html, "approve").first)
            // The proposer's forged approval is refused.
            #expect(
                try await WebPageTests.post(client, office, "/admin/changes/\(change)/approve", []).status == .forbidden
            )
            let approved = try await WebPageTests.post(client, second, "/admin/changes/\(change)/approve", [])
            #expect(approved.location == "/admin/staff?done=approved")
            #expect(try await Self.roles(fixture, fixture.sam.staffID) == ["admin", "counselor"])
            let late = try await WebPageTests.post(client, second, "/admin/changes/\(change)/approve", [])
            #expect(late.status == .conflict && late.html.contains("This change was already approved"))
            _ = staff
        }
    }

    @Test func aLoneAdminIsToldWhoCanApprove() async throws {
        try await HTTPFixture.with { fixture, client in
            _ = try await WebAdminPageTests.addStaff(fixture)
            let office = try await WebPageTests.signIn(client, "office@harbor.example")
            for path in [
                "/admin/staff", "/admin/security", "/admin/staff/\(fixture.sam.staffID.uuidString.lowercased())",
            ] {
                let page = try await WebPageTests.get(client, office, path)
                #expect(
                    page.html.contains("only active admin") && page.html.contains("haven staff set-roles"),
                    "\(path)"
                )
            }
            let security = try await WebPageTests.get(client, office, "/admin/security")
            #expect(security.html.contains(#"action="/admin/security/totp""#))
            let required = try await WebPageTests.post(client, office, "/admin/security/totp", [("required", "yes")])
            #expect(required.location == "/admin/security?done=required")
            let policy = try await fixture.owner.query(
                "SELECT require_totp FROM practices WHERE id = \(fixture.practiceID)"
            )[0].decode(0, as: Bool.self)
            #expect(policy)
        }
    }
}
