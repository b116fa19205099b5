import Foundation
import HavenService
import HavenServiceFixtures
import HavenTestSupport
import Postgres
import Testing

/// A partner's reads of their questionnaires are audited `portal.measure.read` (migration 0080), tried from
/// the attacker's side: raw SQL as `haven_app`.
extension PartnerAttackTests {
    /// The `portal.measure.read` entries, oldest first: (partner, staff member, entity type, entity, clients,
    /// outcome, whether the digest is NULL).
    static func measureReads(_ p: Portal) async throws -> [(UUID?, UUID?, String?, UUID?, Set<UUID>, String, Bool)] {
        try await p.owner.query(
            """
            SELECT partner_client_id, staff_id, entity_type, entity_id, client_ids, outcome, digest IS NULL
            FROM audit_log WHERE action = 'portal.measure.read' ORDER BY seq
            """
        ).map {
            let (partner, staff, type, entity, clients, outcome, noDigest) = try $0.decode(
                (UUID?, UUID?, String?, UUID?, [UUID], String, Bool).self
            )
            return (partner, staff, type, entity, Set(clients), outcome, noDigest)
        }
    }

    @Test func aPartnerRecordsAMeasureReadOnlyAsThemselvesAboutTheirOwnChart() async throws {
        try await portal { p in
            let note = try await p.owner.query("SELECT id FROM progress_notes WHERE state = 'signed'")[0]
                .decode(0, as: UUID.self)
            // Alex's session, naming Jo's chart of one, another entity, Jo alone and a digest: the entry is
            // Alex's, about the couple, with both partners and no digest.
            try await Self.asPartner(p.alexSession, p.app) { connection in
                try await connection.execute(
                    """
                    SELECT haven_audit_append('portal.measure.read', 'client', \(p.jo), ARRAY[\(p.jo)]::uuid[],
                                              'success', sha256('forged'::bytea))
                    """
                )
                try await connection.execute(
                    """
                    SELECT haven_audit_append('portal.measure.read', 'note', \(note), ARRAY[\(UUID())]::uuid[],
                                              'success', NULL)
                    """
                )
            }
            let entries = try await Self.measureReads(p)
            #expect(entries.count == 2)
            for entry in entries {
                #expect(entry.0 == p.alex && entry.1 == nil, "the actor is the session's partner")
                #expect(entry.2 == "couple" && entry.3 == p.couple && entry.4 == [p.alex, p.jo] && entry.6)
            }
            // No partner context, no entry: without one (and with a staff member's, which names the staff
            // member) no entry has a partner as its actor.
            let none = try await Self.sqlState {
                _ = try await p.app.query(
                    "SELECT haven_audit_append('portal.measure.read', 'couple', \(p.couple), '{}', 'success', NULL)"
                )
            }
            #expect(none == "42501")
            _ = try await Self.asStaff(
                """
                SELECT 'x' FROM haven_audit_append('portal.measure.read', 'couple', \(p.couple),
                                                   ARRAY[\(p.jo)]::uuid[], 'success', NULL)
                """,
                p.setup.counselorA,
                p.app
            )
            let afterStaff = try await Self.measureReads(p)
            #expect(afterStaff.count == 3 && afterStaff[2].0 == nil && afterStaff[2].1 == p.setup.counselorA.staffID)
            // The partner's own write is recorded by its function: no partner appends a submit by hand.
            let submit = try await Self.sqlState {
                try await Self.asPartner(p.alexSession, p.app) { connection in
                    _ = try await connection.execute(
                        """
                        SELECT haven_audit_append('portal.measure.submit', 'couple', \(p.couple), '{}', 'success',
                                                  NULL)
                        """
                    )
                }
            }
            #expect(submit == "42501")
        }
    }
}
