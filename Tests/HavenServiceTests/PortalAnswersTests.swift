import Foundation
import HavenCore
import HavenService
import HavenServiceFixtures
import HavenTestSupport
import Postgres
import Testing

/// A partner's answers through `PortalService` (sealed on the server with the chart's key) and the
/// counselor's side through `HomeworkService`, on PartnerAttackTests' couple (Alex and Jo, signed in).
@Suite("Portal answers: drafts, submit, sharing, the counselor's read and safety mode", .needsTestDatabase)
struct PortalAnswersTests {
    @Test func aSharedAnswerReachesTheOtherPartnerUntilTheCounselorReadsItAndSafetyModeHidesIt() async throws {
        try await PartnerAttackTests().portal { p in
            let portal = PortalService(pool: p.app, keys: p.setup.keys)
            let alex = PartnerActor(sessionHash: p.alexSession, source: "test")
            let jo = PartnerActor(sessionHash: p.joSession, source: "test")
            // A draft, saved twice; a stale version is a conflict and changes nothing.
            let first = try await portal.saveDraft(
                assignment: p.joint,
                draft: nil,
                expectedVersion: 0,
                text: "We listened without fixing",
                share: true,
                actor: alex
            )
            #expect(first.outcome == .saved && first.version == 1)
            let draft = try #require(try await portal.answers(alex).drafts.first)
            #expect(draft.text == "We listened without fixing" && draft.sharedWithPartner && draft.version == 1)
            let stale = try await portal.saveDraft(
                assignment: p.joint,
                draft: draft.id,
                expectedVersion: 0,
                text: "overwritten",
                share: true,
                actor: alex
            )
            #expect(stale.outcome == .conflict)
            let second = try await portal.saveDraft(
                assignment: p.joint,
                draft: draft.id,
                expectedVersion: 1,
                text: "We listened without fixing it",
                share: true,
                actor: alex
            )
            #expect(second.outcome == .saved && second.version == 2)
            // The sealed draft is not the text.
            let stored = try await p.owner.query("SELECT body FROM portal_answer_drafts")[0].decode(0, as: [UInt8].self)
            #expect(!String(decoding: stored, as: UTF8.self).contains("listened"))
            #expect(try await portal.submit(assignment: p.joint, expectedVersion: 2, actor: alex) == .submitted)
            // Jo reads Alex's shared answer (and not Alex's draft or anything private).
            let joSees = try await portal.answers(jo)
            #expect(joSees.shared.map(\.text) == ["We listened without fixing it"] && !joSees.safetyMode)
            #expect(joSees.drafts.isEmpty && joSees.own.count == 1)
            // The counselor's view shows both answers and marks them read: sharing is final from then.
            let homework = HomeworkService(pool: p.app, keys: p.setup.keys)
            let viewed = try await homework.assignment(
                p.joint,
                today: CalendarDate(year: 2026, month: 9, day: 22)!,
                actor: p.setup.counselorA
            )
            #expect(
                viewed.responses.compactMap(\.text).sorted() == [
                    "Jo's private answer", "We listened without fixing it",
                ]
            )
            #expect(try await portal.share(assignment: p.joint, false, actor: alex) == .read)
            #expect(try await portal.answers(alex).own.first?.counselorRead == true)
            // Safety mode: what was shared is hidden from Jo, and sharing is refused.
            try await PartnerAttackTests.openHighRisk(p)
            let safe = try await portal.answers(jo)
            #expect(safe.safetyMode && safe.shared.isEmpty)
            #expect(try await portal.share(assignment: p.joint, true, actor: jo) == .read)
            let refused = try await portal.saveDraft(
                assignment: p.forJo,
                draft: nil,
                expectedVersion: 0,
                text: "mine",
                share: true,
                actor: jo
            )
            #expect(refused.outcome == .safetyMode)
            let actions = try await p.owner.query(
                "SELECT count(*) FROM audit_log WHERE action = 'portal.answer.read' AND partner_client_id = \(p.jo)"
            )[0].decode(0, as: Int.self)
            #expect(actions == 2)
        }
    }
}
