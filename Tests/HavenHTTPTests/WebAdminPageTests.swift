import Foundation
import HTTPTypes
import HavenService
import HavenStore
import HavenTestSupport
import Hummingbird
import HummingbirdTesting
import NIOCore
import Postgres
import Sealing
import Testing

@testable import HavenHTTP

@Suite("The admin pages: staff, TOTP policy, keys, the audit log and its chain", .needsTestDatabase)
struct WebAdminPageTests {
    static let paths = [
        "/admin", "/admin/staff", "/admin/security", "/admin/keys", "/admin/audit", "/admin/audit/verification",
    ]

    /// The practice's staff for these tests: an admin (Office), a supervisor of Dana (Riley, whose name
    /// needs escaping), and a disabled, pre-licensed counselor.
    struct Staff {
        var admin: UUID
        var riley: UUID
        var former: UUID
    }

    static func addStaff(_ fixture: HTTPFixture) async throws -> Staff {
        let staff = StaffService(pool: fixture.owner, hasher: PasswordHasher(parameters: .init(logN: 10, r: 8, p: 1)))
        func add(
            _ email: String,
            _ name: String,
            _ roles: Set<StaffActor.Role>,
            preLicensed: Bool = false
        )
            async throws -> UUID
        {
            try await staff.createStaff(
                .init(
                    email: email,
                    displayName: name,
                    roles: roles,
                    preLicensed: preLicensed,
                    password: HTTPFixture.password
                ),
                practiceID: fixture.practiceID,
                source: "test"
            )
        }
        let admin = try await add("office@harbor.example", "Office Admin", [.admin])
        let riley = try await add("riley@harbor.example", "Riley <O'Neil>", [.counselor, .supervisor])
        let former = try await add("former@harbor.example", "Former Intern", [.counselor], preLicensed: true)
        try await staff.addSupervision(
            supervisor: riley,
            supervisee: fixture.dana.staffID,
            practiceID: fixture.practiceID,
            source: "test"
        )
        try await staff.disable(staffID: former, practiceID: fixture.practiceID, source: "test")
        return Staff(admin: admin, riley: riley, former: former)
    }

    static func get(
        _ client: any TestClientProtocol,
        _ uri: String,
        _ browser: WebPageTests.Browser
    ) async throws -> (HTTPResponse.Status, String) {
        try await client.execute(uri: uri, method: .get, headers: browser.cookieHeader) { response in
            WebPageTests.expectSecurityHeaders(response)
            #expect(response.headers[.cacheControl] == "no-store", "\(uri)")
            return (response.status, String(buffer: response.body))
        }
    }

    /// The audit table's rows: each row's cells (the seq, then the data cells), in page order.
    static func rows(_ html: String) -> [[String]] {
        html.components(separatedBy: #"<tr><th scope="row">"#).dropFirst().map { row in
            let line = String(row.prefix { $0 != "\n" })
            let seq = String(line.prefix { $0 != "<" })
            let cells = line.components(separatedBy: "<td>").dropFirst().map { String($0.prefix { $0 != "<" }) }
            return [seq] + cells
        }
    }

    static func olderLink(_ html: String) -> String? {
        guard let end = html.range(of: #"">Older entries</a>"#) else { return nil }
        let start = html[..<end.lowerBound].range(of: #"<a href=""#, options: .backwards)!
        return String(html[start.upperBound..<end.lowerBound]).replacingOccurrences(of: "&amp;", with: "&")
    }

    static func count(_ fixture: HTTPFixture, action: String, outcome: AuditEntry.Outcome) async throws -> Int {
        try await fixture.owner.withConnection { connection in
            try await AuditStore.list(
                .init(practiceID: fixture.practiceID, action: action, outcome: outcome),
                on: connection
            ).count
        }
    }

    @Test func theAdminFiltersAndPagesTheAuditLog() async throws {
        try await HTTPFixture.with { fixture, client in
            _ = try await Self.addStaff(fixture)
            let admin = try await WebPageTests.signIn(client, "office@harbor.example")
            #expect(admin.landing == "/admin", "an admin lands on the admin pages, not a clinician's day")
            // Enough reads of the log for two pages of them.
            for _ in 0..<(HavenAPI.auditPageSize + 5) {
                let (status, _) = try await Self.get(client, "/admin/audit?action=audit.list", admin)
                #expect(status == .ok)
            }
            let (status, all) = try await Self.get(client, "/admin/audit", admin)
            #expect(status == .ok)
            let everything = Self.rows(all)
            #expect(everything.count == HavenAPI.auditPageSize)
            #expect(Set(everything.map { $0[4] }).count > 1, "several actions unfiltered")
            let seqs = everything.compactMap { Int($0[0]) }
            #expect(seqs == seqs.sorted(by: >), "newest first")

            // An action from the catalogue narrows the list to it, and the select keeps it.
            let (_, reads) = try await Self.get(client, "/admin/audit?action=audit.list&outcome=success", admin)
            let first = Self.rows(reads)
            #expect(first.count == HavenAPI.auditPageSize)
            #expect(first.allSatisfy { $0[4] == "audit.list" && $0[7] == "success" })
            #expect(first.allSatisfy { $0[2] == "Office Admin" })
            #expect(reads.contains(#"<option value="audit.list" selected>"#))
            let older = try #require(Self.olderLink(reads))
            #expect(older.hasPrefix("/admin/audit?"))
            #expect(older.contains("action=audit.list") && older.contains("cursor=\(first.last![0])"))
            let (_, page2) = try await Self.get(client, older, admin)
            let second = Self.rows(page2)
            #expect(!second.isEmpty)
            #expect(second.allSatisfy { $0[4] == "audit.list" })
            #expect(Int(second.first![0])! < Int(first.last![0])!, "older entries, no overlap")
            #expect(Self.olderLink(page2) == nil)

            // The staff select filters by id; Dana's rows are hers.
            let dana = fixture.dana.staffID.uuidString.lowercased()
            let (_, danas) = try await Self.get(client, "/admin/audit?staffId=\(dana)", admin)
            #expect(!Self.rows(danas).isEmpty && Self.rows(danas).allSatisfy { $0[2] == "Dana Reyes" })
            #expect(danas.contains(#"<option value="\#(dana)" selected>Dana Reyes</option>"#))

            // Dates: the days given, in the practice's time zone; none yet tomorrow.
            let (_, none) = try await Self.get(client, "/admin/audit?from=2999-01-01", admin)
            #expect(Self.rows(none).isEmpty && none.contains("No entries match."))
            let (_, breakGlass) = try await Self.get(client, "/admin/audit?breakGlass=true", admin)
            #expect(Self.rows(breakGlass).isEmpty && breakGlass.contains(#"value="true" checked"#))

            // A refused filter says why and keeps what was typed.
            let (badStatus, bad) = try await Self.get(client, "/admin/audit?from=someday&outcome=denied", admin)
            #expect(badStatus == .badRequest)
            #expect(bad.contains("from must be a date, YYYY-MM-DD"))
            #expect(bad.contains(#"value="someday""#) && bad.contains(#"<option value="denied" selected>"#))
            let (unknownStatus, unknown) = try await Self.get(client, "/admin/audit?action=note.reed", admin)
            #expect(unknownStatus == .unprocessableContent && unknown.contains("is not an audit action"))
        }
    }

    @Test func theChainCheckSaysIntactThenNamesTheBreak() async throws {
        try await HTTPFixture.with { fixture, client in
            _ = try await Self.addStaff(fixture)
            let admin = try await WebPageTests.signIn(client, "office@harbor.example")
            let (status, intact) = try await Self.get(client, "/admin/audit/verification", admin)
            #expect(status == .ok)
            #expect(intact.contains("Intact: every one of"))
            // Tamper with entry 3 as the owner, as someone with the database would.
            try await fixture.owner.withConnection { connection in
                try await connection.execute("ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update_or_delete")
                try await connection.execute(
                    "UPDATE audit_log SET source = 'tampered' WHERE practice_id = \(fixture.practiceID) AND seq = 3"
                )
                try await connection.execute("ALTER TABLE audit_log ENABLE TRIGGER audit_log_no_update_or_delete")
            }
            let (_, broken) = try await Self.get(client, "/admin/audit/verification", admin)
            #expect(broken.contains("Broken at entry 3: content does not match its hash (edited)."))
            #expect(!broken.contains("Intact"))
        }
    }

    @Test func aCounselorIsRefusedEveryAdminPageAndTheRefusalsAreAudited() async throws {
        try await HTTPFixture.with { fixture, client in
            _ = try await Self.addStaff(fixture)
            let dana = try await WebPageTests.signIn(client, "dana@harbor.example")
            for path in Self.paths + ["/admin/audit?action=note.read"] {
                let (status, html) = try await Self.get(client, path, dana)
                #expect(status == .forbidden, "\(path)")
                #expect(html.contains("Not for your role"), "\(path)")
                #expect(!html.contains("Dana Reyes") && !html.contains("Office Admin"), "\(path)")
            }
            // As GET /v1/audit audits a refused read: each page's own action, denied.
            #expect(try await Self.count(fixture, action: "audit.list", outcome: .denied) == 2)
            #expect(try await Self.count(fixture, action: "audit.verify", outcome: .denied) == 1)
            #expect(try await Self.count(fixture, action: "staff.list", outcome: .denied) == 3)
            #expect(try await Self.count(fixture, action: "keys.status", outcome: .denied) == 1)
            #expect(try await Self.count(fixture, action: "audit.list", outcome: .success) == 0)
            // Signed out: the sign-in page, nothing read.
            for path in Self.paths {
                try await client.execute(uri: path, method: .get) { response in
                    #expect(response.status == .seeOther, "\(path)")
                    #expect(response.headers[.location]?.hasPrefix("/sign-in?next=") == true, "\(path)")
                }
            }
        }
    }

    @Test func theStaffPageShowsRolesSupervisionAndNoClientAnywhere() async throws {
        try await HTTPFixture.with { fixture, client in
            _ = try await Self.addStaff(fixture)
            let admin = try await WebPageTests.signIn(client, "office@harbor.example")
            let (status, staff) = try await Self.get(client, "/admin/staff", admin)
            #expect(status == .ok)
            #expect(
                staff.contains(
                    #"<th scope="row"><a href="/admin/staff/\#(fixture.dana.staffID.uuidString.lowercased())">Dana Reyes</a></th><td>dana@harbor.example</td><td>counselor</td><td>licensed</td><td>none</td>"#
                        + #"<td>Riley &lt;O&#39;Neil&gt;</td><td>—</td><td>active</td></tr>"#
                ),
                "Dana, supervised by Riley (escaped)"
            )
            #expect(!staff.contains("Riley <O'Neil>"))
            #expect(staff.contains("<td>counselor, supervisor</td>"))
            #expect(staff.contains("<td>Dana Reyes</td><td>active</td>"), "Riley supervises Dana")
            #expect(staff.contains(">Former Intern</a></th>"))
            #expect(staff.contains("<td>pre-licensed</td><td>none</td><td>—</td><td>—</td><td>disabled</td>"))
            #expect(staff.contains("<td>admin</td>") && staff.contains("Sam Ortiz"))
            let (_, overview) = try await Self.get(client, "/admin", admin)
            #expect(overview.contains("Harbor Counseling") && overview.contains("America/Chicago"))
            #expect(overview.contains("<dt>Active staff</dt><dd>4</dd>") && overview.contains("<dd>1</dd>"))
            let (_, security) = try await Self.get(client, "/admin/security", admin)
            #expect(security.contains("A one-time-code app is optional"))
            // Under the policy, an admin without a code app is sent to enrol one from every page...
            try await fixture.owner.withConnection { connection in
                try await connection.execute(
                    "UPDATE practices SET require_totp = true WHERE id = \(fixture.practiceID)"
                )
            }
            try await client.execute(uri: "/admin/security", method: .get, headers: admin.cookieHeader) { response in
                #expect(response.status == .seeOther && response.headers[.location] == "/account/code-app")
            }
            // ... and with one, sees the policy in force.
            struct Enrollment: Decodable { var secret: String }
            let bearer = HTTPFixture.bearer(try #require(admin.cookies["__Host-haven-session"]))
            let enrollment = try await client.execute(uri: "/v1/me/totp", method: .post, headers: bearer) {
                try JSONDecoder().decode(Enrollment.self, from: Data(buffer: $0.body))
            }
            let app = TOTP(secret: SecureBytes(copying: try #require(Base32.decode(enrollment.secret))))
            let code = ByteBuffer(string: #"{"code": "\#(app.code(step: app.step(at: Date())))"}"#)
            try await client.execute(uri: "/v1/me/totp/confirmation", method: .post, headers: bearer, body: code) {
                #expect($0.status == .ok)
            }
            let (_, required) = try await Self.get(client, "/admin/security", admin)
            #expect(required.contains("Every staff member must use a one-time-code app"))
            let (_, enrolled) = try await Self.get(client, "/admin/staff", admin)
            #expect(enrolled.contains("<td>admin</td><td>licensed</td><td>enrolled</td>"))
            let (_, keys) = try await Self.get(client, "/admin/keys", admin)
            #expect(keys.contains("haven keys status"))
            // No client's name on any admin page (the audit log names clients by id only).
            for path in Self.paths + ["/admin/audit?outcome=success"] {
                let (status, html) = try await Self.get(client, path, admin)
                #expect(status == .ok, "\(path)")
                #expect(!html.contains("Fictional"), "\(path)")
                WebPageTests.expectNothingInline(html)
                #expect(html.contains(#"aria-label="Administration""#), "\(path)")
            }
            #expect(try await Self.count(fixture, action: "staff.list", outcome: .success) >= 4)
            // Being admin opens no chart: a couple's page is the 404 page.
            let (chart, chartHTML) = try await Self.get(client, "/couples/\(fixture.danaCouple)", admin)
            #expect(chart == .notFound && !chartHTML.contains("Fictional"))
        }
    }

    /// The API route the staff pages share: GET /v1/staff, admins only.
    @Test func theStaffRouteIsForAdminsAndAudited() async throws {
        try await HTTPFixture.with { fixture, client in
            let staff = try await Self.addStaff(fixture)
            struct Administration: Decodable {
                struct Colleague: Decodable {
                    var id: String
                    var displayName: String
                }
                struct Member: Decodable {
                    var id: String
                    var displayName: String
                    var roles: [String]
                    var preLicensed: Bool
                    var active: Bool
                    var totpEnrolled: Bool
                    var supervisors: [Colleague]
                    var supervisees: [Colleague]
                }
                var practiceName: String
                var timeZone: String
                var requireTotp: Bool
                var staff: [Member]
            }
            let dana = HTTPFixture.bearer(try await HTTPFixture.signIn(client, "dana@harbor.example"))
            try await client.execute(uri: "/v1/staff", method: .get, headers: dana) { response in
                #expect(response.status == .forbidden)
            }
            #expect(try await Self.count(fixture, action: "staff.list", outcome: .denied) == 1)
            let admin = HTTPFixture.bearer(try await HTTPFixture.signIn(client, "office@harbor.example"))
            let answer = try await client.execute(uri: "/v1/staff", method: .get, headers: admin) { response in
                #expect(response.status == .ok)
                return try JSONDecoder().decode(Administration.self, from: Data(buffer: response.body))
            }
            #expect(answer.practiceName == "Harbor Counseling" && answer.timeZone == "America/Chicago")
            #expect(!answer.requireTotp)
            #expect(
                answer.staff.map(\.displayName) == [
                    "Dana Reyes", "Former Intern", "Office Admin", "Riley <O'Neil>", "Sam Ortiz",
                ]
            )
            let riley = try #require(answer.staff.first { $0.id == staff.riley.uuidString.lowercased() })
            #expect(riley.roles.sorted() == ["counselor", "supervisor"])
            #expect(riley.supervisees.map(\.displayName) == ["Dana Reyes"])
            let danaRow = try #require(answer.staff.first { $0.displayName == "Dana Reyes" })
            #expect(danaRow.supervisors.map(\.id) == [staff.riley.uuidString.lowercased()])
            let former = try #require(answer.staff.first { $0.id == staff.former.uuidString.lowercased() })
            #expect(former.preLicensed && !former.active)
            #expect(answer.staff.allSatisfy { !$0.totpEnrolled })
            #expect(try await Self.count(fixture, action: "staff.list", outcome: .success) == 1)
        }
    }

    /// haven_admin_staff_totp (migration 0038) from the attacker's side: raw SQL as haven_app.
    @Test func onlyAnAdminsLiveSessionReadsWhoHasACodeApp() async throws {
        try await HTTPFixture.with { fixture, _ in
            let ids = try await Self.addStaff(fixture)
            let admin = try await StaffService(
                pool: fixture.owner,
                hasher: PasswordHasher(parameters: .init(logN: 10, r: 8, p: 1))
            ).openSession(for: ids.admin, practiceID: fixture.practiceID, lifetime: .seconds(600), source: "test")
            func call(_ prologue: PostgresQuery?) async throws -> [UUID]? {
                try await fixture.app.withConnection { connection in
                    do {
                        return try await connection.transaction { connection in
                            if let prologue { _ = try await connection.query(prologue) }
                            return try await connection.query("SELECT haven_admin_staff_totp()").map {
                                try $0.decode(0, as: UUID.self)
                            }
                        }
                    } catch let error as PostgresError where error.code == .insufficientPrivilege {
                        return nil
                    }
                }
            }
            #expect(try await call(nil) == nil, "no context")
            let practice = fixture.practiceID.uuidString.lowercased()
            let adminID = ids.admin.uuidString.lowercased()
            #expect(
                try await call(
                    """
                    SELECT set_config('app.practice_id', \(practice), true), set_config('app.staff_id', \(adminID), true),
                           set_config('app.roles', 'admin', true)
                    """
                ) == nil,
                "settings name no admin"
            )
            let dana = fixture.dana.sessionHash
            #expect(
                try await call("SELECT 1 FROM haven_open_context(\(dana), false, 'attacker', NULL)") == nil,
                "a counselor's live session"
            )
            #expect(
                try await call("SELECT 1 FROM haven_open_context(\(admin.sessionHash), false, 'test', NULL)") == [],
                "an admin's live session: nobody has an app yet"
            )
            // haven_app still reads no staff_totp row directly, admin or not.
            let direct = try await fixture.app.withConnection { connection in
                do {
                    return try await connection.transaction { connection in
                        _ = try await connection.query(
                            "SELECT 1 FROM haven_open_context(\(admin.sessionHash), false, 'test', NULL)"
                        )
                        return try await connection.query("SELECT count(*) FROM staff_totp")[0].decode(0, as: Int.self)
                    }
                } catch let error as PostgresError where error.code == .insufficientPrivilege {
                    return -1
                }
            }
            #expect(direct == -1)
        }
    }
}
