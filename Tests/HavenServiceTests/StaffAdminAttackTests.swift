import Foundation
import HavenService
import HavenServiceFixtures
import HavenTestSupport
import Postgres
import Testing

/// The admin's staff-change functions (migration 0040) tried from the attacker's side: plain SQL as
/// `haven_app`, with no context, with hand-set settings, and under each role's live session. Every
/// statement here is what a holder of the application role's password could type into psql.
@Suite("haven_app with raw SQL cannot use the admin's staff changes beyond an admin's own practice", .needsTestDatabase)
struct StaffAdminAttackTests {
    /// Two admins, a supervisor, a scheduler and the fixture's counselor (Dana) in Harbor, and an
    /// admin with a counselor in a second practice.
    struct Clinic {
        var fixture: StaffFixture
        var admin: StaffActor
        var secondAdmin: StaffActor
        var supervisor: StaffActor
        var scheduler: StaffActor
        var counselor: StaffActor
        var otherAdmin: StaffActor
        var otherCounselor: UUID
    }

    func clinic(_ body: (Clinic) async throws -> Void) async throws {
        try await StaffFixture.with { fixture in
            let staff = fixture.staff
            func add(_ email: String, _ roles: Set<StaffActor.Role>, practice: UUID? = nil) async throws -> UUID {
                try await staff.createStaff(
                    .init(email: email, displayName: email, roles: roles, password: StaffFixture.password),
                    practiceID: practice ?? fixture.practiceID,
                    source: "test"
                )
            }
            func session(_ id: UUID, practice: UUID? = nil) async throws -> StaffActor {
                try await staff.openSession(for: id, practiceID: practice ?? fixture.practiceID, source: "test")
            }
            let other = try await staff.createPractice(name: "Elsewhere Counseling")
            try await body(
                Clinic(
                    fixture: fixture,
                    admin: try await session(try await add("office@harbor.example", [.admin])),
                    secondAdmin: try await session(try await add("second@harbor.example", [.admin])),
                    supervisor: try await session(try await add("riley@harbor.example", [.counselor, .supervisor])),
                    scheduler: try await session(try await add("desk@harbor.example", [.scheduler])),
                    counselor: try await session(fixture.counselorID),
                    otherAdmin: try await session(
                        try await add("office@else.example", [.admin], practice: other),
                        practice: other
                    ),
                    otherCounselor: try await add("kim@else.example", [.counselor], practice: other)
                )
            )
        }
    }

    /// Runs `call` as `haven_app`, under `actor`'s live session when given; its one text answer.
    func call(
        _ call: PostgresQuery,
        as actor: StaffActor?,
        clinic: Clinic,
        settings: Bool = false
    )
        async throws -> String
    {
        try await clinic.fixture.app.withConnection { connection in
            try await connection.transaction { connection in
                if let actor {
                    try await connection.query(
                        "SELECT 1 FROM haven_open_context(\(actor.sessionHash), false, 'attacker', NULL)"
                    )
                }
                if settings {
                    let admin = clinic.admin.staffID.uuidString.lowercased()
                    let practice = clinic.fixture.practiceID.uuidString.lowercased()
                    try await connection.query(
                        """
                        SELECT set_config('app.practice_id', \(practice), true), set_config('app.staff_id', \(admin), true),
                               set_config('app.roles', 'admin', true)
                        """
                    )
                }
                return try await connection.query(call)[0].decode(0, as: String.self)
            }
        }
    }

    /// Every function with a target that is Dana (or her link to Riley, or a proposal id).
    private func calls(_ c: Clinic, proposal: UUID) -> [PostgresQuery] {
        let dana = c.counselor.staffID
        return [
            "SELECT haven_admin_staff_disable(\(dana))",
            "SELECT haven_admin_staff_enable(\(dana))",
            "SELECT haven_admin_staff_end_sessions(\(dana))",
            "SELECT haven_admin_staff_unsupervise(\(c.supervisor.staffID), \(dana))",
            "SELECT haven_admin_practice_require_totp()",
            "SELECT haven_admin_staff_set_roles(\(dana), ARRAY['counselor','supervisor','admin'])",
            "SELECT haven_admin_staff_set_roles(\(dana), ARRAY['scheduler'])",
            "SELECT haven_admin_propose_supervision(\(c.supervisor.staffID), \(dana))",
            "SELECT haven_admin_propose_totp_optional()",
            "SELECT haven_admin_approve(\(proposal))",
            "SELECT haven_admin_decline(\(proposal))",
        ]
    }

    /// What the functions could change, as the owner sees it.
    private func state(_ c: Clinic) async throws -> String {
        let rows = try await c.fixture.owner.query(
            """
            SELECT (SELECT string_agg(s.email || ':' || s.active || ':' || array_to_string(s.roles, ','), ' ' ORDER BY s.email)
                    FROM staff s),
                   (SELECT count(*) FROM supervision_links)::text,
                   (SELECT string_agg(p.require_totp::text, ',') FROM practices p),
                   (SELECT count(*) FROM staff_sessions WHERE revoked_at IS NULL)::text,
                   (SELECT count(*) || ':' || count(decision) FROM staff_change_proposals)
            """
        )
        let (staff, links, totp, sessions, proposals) = try rows[0].decode(
            (String, String, String, String, String).self
        )
        return [staff, links, totp, sessions, proposals].joined(separator: " | ")
    }

    /// A waiting proposal of the second admin's (a counselor role for the scheduler), and Riley
    /// supervising Dana, set up through the functions themselves.
    private func setUp(_ c: Clinic) async throws -> UUID {
        try await c.fixture.staff.addSupervision(
            supervisor: c.supervisor.staffID,
            supervisee: c.counselor.staffID,
            practiceID: c.fixture.practiceID,
            source: "test"
        )
        let proposed = try await call(
            "SELECT haven_admin_staff_set_roles(\(c.scheduler.staffID), ARRAY['counselor','scheduler'])",
            as: c.secondAdmin,
            clinic: c
        )
        #expect(proposed == "proposed")
        return try await c.fixture.owner.query("SELECT id FROM staff_change_proposals")[0].decode(0, as: UUID.self)
    }

    private func deniedEntries(_ c: Clinic, by actor: StaffActor) async throws -> Int {
        try await c.fixture.owner.query(
            "SELECT count(*) FROM audit_log WHERE staff_id = \(actor.staffID) AND outcome = 'denied' AND source = 'attacker'"
        )[0].decode(0, as: Int.self)
    }

    @Test func withoutAContextOrWithHandSetSettingsEveryFunctionRaises() async throws {
        try await clinic { c in
            let proposal = try await setUp(c)
            let before = try await state(c)
            for statement in calls(c, proposal: proposal) {
                for settings in [false, true] {
                    let refused = await #expect(throws: PostgresError.self, "\(statement.sql)") {
                        try await call(statement, as: nil, clinic: c, settings: settings)
                    }
                    #expect(refused?.code == .insufficientPrivilege, "\(statement.sql)")
                }
            }
            #expect(try await state(c) == before)
        }
    }

    /// Migration 0041: an admin whose practice requires a code app they have not enrolled may only
    /// enrol one, in the database too: their context holds no role, so every admin function refuses.
    @Test func anAdminWhoOwesTheCodeAppHoldsNoRoleInTheDatabase() async throws {
        try await clinic { c in
            let proposal = try await setUp(c)
            try await c.fixture.owner.query(
                "UPDATE practices SET require_totp = true WHERE id = \(c.fixture.practiceID)"
            )
            let before = try await state(c)
            for admin in [c.admin, c.secondAdmin] {
                for statement in calls(c, proposal: proposal) {
                    #expect(try await call(statement, as: admin, clinic: c) == "forbidden", "\(statement.sql)")
                }
                let refused = await #expect(throws: PostgresError.self) {
                    try await call("SELECT count(*)::text FROM haven_admin_staff_totp()", as: admin, clinic: c)
                }
                #expect(refused?.code == .insufficientPrivilege)
            }
            #expect(try await state(c) == before)
        }
    }

    @Test func aCounselorSupervisorOrSchedulerSessionIsRefusedAndAudited() async throws {
        try await clinic { c in
            let proposal = try await setUp(c)
            let before = try await state(c)
            for actor in [c.counselor, c.supervisor, c.scheduler] {
                for statement in calls(c, proposal: proposal) {
                    #expect(try await call(statement, as: actor, clinic: c) == "forbidden", "\(statement.sql)")
                }
                #expect(try await deniedEntries(c, by: actor) == calls(c, proposal: proposal).count)
            }
            #expect(try await state(c) == before)
        }
    }

    @Test func anAdminReachesNeitherAnotherPracticeNorTheirOwnAccount() async throws {
        try await clinic { c in
            let proposal = try await setUp(c)
            let before = try await state(c)
            // Another practice's admin: Harbor's staff and proposal do not exist for them.
            for statement in calls(c, proposal: proposal).filter({ !$0.sql.contains("totp") }) {
                #expect(try await call(statement, as: c.otherAdmin, clinic: c) == "not-found", "\(statement.sql)")
            }
            // Harbor's admin: the other practice's counselor does not exist; their own account is refused.
            let kim = c.otherCounselor
            for statement: PostgresQuery in [
                "SELECT haven_admin_staff_disable(\(kim))",
                "SELECT haven_admin_staff_set_roles(\(kim), ARRAY['admin'])",
                "SELECT haven_admin_staff_end_sessions(\(kim))",
            ] {
                #expect(try await call(statement, as: c.admin, clinic: c) == "not-found", "\(statement.sql)")
            }
            let me = c.admin.staffID
            for statement: PostgresQuery in [
                "SELECT haven_admin_staff_disable(\(me))", "SELECT haven_admin_staff_end_sessions(\(me))",
                "SELECT haven_admin_staff_set_roles(\(me), ARRAY['admin','counselor'])",
                "SELECT haven_admin_staff_set_roles(\(me), ARRAY['scheduler'])",
                "SELECT haven_admin_propose_supervision(\(c.supervisor.staffID), \(me))",
                "SELECT haven_admin_staff_unsupervise(\(me), \(c.counselor.staffID))",
            ] {
                #expect(try await call(statement, as: c.admin, clinic: c) == "self", "\(statement.sql)")
            }
            #expect(try await state(c) == before)
        }
    }

    @Test func theProposerCannotApproveNorTheSubjectNorAnyoneAfterExpiry() async throws {
        try await clinic { c in
            let proposal = try await setUp(c)
            // The proposer (the second admin) may not approve their own proposal.
            #expect(
                try await call("SELECT haven_admin_approve(\(proposal))", as: c.secondAdmin, clinic: c)
                    == "own-proposal"
            )
            // A proposal about the approver themselves is refused too.
            #expect(
                try await call(
                    "SELECT haven_admin_staff_set_roles(\(c.admin.staffID), ARRAY['admin','counselor'])",
                    as: c.secondAdmin,
                    clinic: c
                ) == "proposed"
            )
            let aboutAdmin = try await c.fixture.owner.query(
                "SELECT id FROM staff_change_proposals WHERE target_staff_id = \(c.admin.staffID)"
            )[0].decode(0, as: UUID.self)
            #expect(try await call("SELECT haven_admin_approve(\(aboutAdmin))", as: c.admin, clinic: c) == "self")
            // Past its expiry nobody approves it.
            try await c.fixture.owner.query(
                "UPDATE staff_change_proposals SET expires_at = now() - interval '1 second' WHERE id = \(proposal)"
            )
            #expect(try await call("SELECT haven_admin_approve(\(proposal))", as: c.admin, clinic: c) == "expired")
            let roles = try await c.fixture.owner.query("SELECT roles FROM staff WHERE id = \(c.scheduler.staffID)")[0]
                .decode(0, as: [String].self)
            #expect(roles == ["scheduler"])
            // A fresh proposal, approved by the other admin, applies: both steps audited.
            #expect(
                try await call(
                    "SELECT haven_admin_staff_set_roles(\(c.scheduler.staffID), ARRAY['counselor','scheduler'])",
                    as: c.secondAdmin,
                    clinic: c
                ) == "proposed"
            )
            let fresh = try await c.fixture.owner.query(
                "SELECT id FROM staff_change_proposals WHERE decision IS NULL AND expires_at > now() AND target_staff_id = \(c.scheduler.staffID)"
            )[0].decode(0, as: UUID.self)
            #expect(try await call("SELECT haven_admin_approve(\(fresh))", as: c.admin, clinic: c) == "done")
            #expect(try await call("SELECT haven_admin_approve(\(fresh))", as: c.admin, clinic: c) == "decided")
            let granted = try await c.fixture.owner.query("SELECT roles FROM staff WHERE id = \(c.scheduler.staffID)")[
                0
            ]
            .decode(0, as: [String].self)
            #expect(granted == ["counselor", "scheduler"])
            let entries = try await c.fixture.owner.query(
                """
                SELECT action || ':' || outcome || ':' || staff_id FROM audit_log
                WHERE action IN ('staff.change.propose', 'staff.change.approve', 'staff.roles.set') ORDER BY seq
                """
            ).map { try $0.decode(0, as: String.self) }
            let second = c.secondAdmin.staffID.uuidString.lowercased()
            let first = c.admin.staffID.uuidString.lowercased()
            #expect(entries.contains("staff.change.propose:success:\(second)"))
            #expect(entries.contains("staff.change.approve:denied:\(second)"), "the proposer's try is on record")
            let approval = try #require(entries.firstIndex(of: "staff.change.approve:success:\(first)"))
            #expect(entries.dropFirst(approval + 1).first == "staff.roles.set:success:\(first)", "\(entries)")
        }
    }

    @Test func theAppRoleCannotWriteProposalsDirectly() async throws {
        try await clinic { c in
            let proposal = try await setUp(c)
            let admin = c.admin
            for statement: PostgresQuery in [
                """
                INSERT INTO staff_change_proposals (practice_id, id, kind, target_staff_id, roles, proposed_by, expires_at)
                VALUES (\(c.fixture.practiceID), gen_random_uuid(), 'grant_roles', \(admin.staffID), ARRAY['counselor'],
                        \(c.secondAdmin.staffID), now() + interval '1 day')
                """,
                "UPDATE staff_change_proposals SET proposed_by = \(c.counselor.staffID) WHERE id = \(proposal)",
                "UPDATE staff_change_proposals SET decision = 'approved' WHERE id = \(proposal)",
                "DELETE FROM staff_change_proposals",
                "SELECT haven_admin_propose(haven_context_staff(), 'grant_roles', \(admin.staffID), NULL, ARRAY['counselor'])",
                "SELECT haven_admin_audit(haven_context_staff(), 'staff.enable', 'staff', \(admin.staffID), 'success')",
            ] {
                let refused = await #expect(throws: PostgresError.self, "\(statement.sql)") {
                    try await c.fixture.asAppRole(admin) { connection in try await connection.query(statement) }
                }
                #expect(refused?.code == .insufficientPrivilege, "\(statement.sql)")
            }
        }
    }

    @Test func anAdminsNarrowingChangesApplyAndADisabledSessionDiesAtOnce() async throws {
        try await clinic { c in
            _ = try await setUp(c)
            let dana = c.counselor.staffID
            #expect(try await call("SELECT haven_admin_staff_disable(\(dana))", as: c.admin, clinic: c) == "done")
            #expect(try await call("SELECT haven_admin_staff_disable(\(dana))", as: c.admin, clinic: c) == "unchanged")
            let live = try await c.fixture.app.query(
                "SELECT count(*) FROM haven_session_actor(\(c.counselor.sessionHash))"
            )[0].decode(0, as: Int.self)
            #expect(live == 0, "a disabled account's session opens nothing")
            #expect(try await call("SELECT haven_admin_staff_enable(\(dana))", as: c.admin, clinic: c) == "done")
            #expect(
                try await call(
                    "SELECT haven_admin_staff_unsupervise(\(c.supervisor.staffID), \(dana))",
                    as: c.admin,
                    clinic: c
                )
                    == "done"
            )
            #expect(
                try await call(
                    "SELECT haven_admin_staff_set_roles(\(c.supervisor.staffID), ARRAY['counselor'])",
                    as: c.admin,
                    clinic: c
                ) == "done"
            )
            #expect(try await call("SELECT haven_admin_practice_require_totp()", as: c.admin, clinic: c) == "done")
            let row = try await c.fixture.owner.query(
                """
                SELECT (SELECT active FROM staff WHERE id = \(dana)), (SELECT roles FROM staff WHERE id = \(c.supervisor.staffID)),
                       (SELECT count(*) FROM supervision_links), (SELECT require_totp FROM practices WHERE id = \(c.fixture.practiceID))
                """
            )[0]
            let (active, roles, links, required) = try row.decode((Bool, [String], Int, Bool).self)
            #expect(active && roles == ["counselor"] && links == 0 && required)
        }
    }
}
