import Foundation
import HavenCore
import HavenService
import HavenServiceFixtures
import HavenTestSupport
import Postgres
import Testing

/// A partner seals answers with their couple's data key, which only staff can create: inviting a
/// partner to a couple whose counselor has sealed nothing yet creates it (`PortalService.invite`), so
/// the partner of a brand-new couple can save an answer.
@Suite("Portal invitations create the couple's data key", .needsTestDatabase)
struct PortalInvitationKeyTests {
    @Test func invitingAPartnerToACoupleWithNoKeyCreatesItSoTheirAnswerSaves() async throws {
        try await ClinicSetup.with { setup in
            let (session, couple, alex, _) = try await setup.completedSession(concerns: nil)
            let homework = HomeworkService(pool: setup.fixture.app, keys: setup.keys)
            let prompt = try await homework.library(actor: setup.counselorA)[0].id
            let assigned = try await homework.assign(
                prompt: prompt,
                couple: couple,
                partner: alex,
                session: session,
                dueOn: CalendarDate(year: 2026, month: 9, day: 28)!,
                today: CalendarDate(year: 2026, month: 9, day: 21)!,
                actor: setup.counselorA
            )
            func keys() async throws -> Int {
                try await setup.fixture.owner.query(
                    """
                    SELECT count(*) FROM data_keys
                    WHERE subject_kind = 'couple' AND subject_id = \(couple.uuidString.lowercased())
                    """
                )[0].decode(0, as: Int.self)
            }
            // Nothing sealed for the couple yet: no key.
            #expect(try await keys() == 0)
            let portal = PortalService(pool: setup.fixture.app, hasher: StaffFixture.hasher, keys: setup.keys)
            let invitation = try await portal.invite(alex, to: .couple(couple), email: nil, actor: setup.counselorA)
            #expect(try await keys() == 1)
            guard case .code(let code) = invitation.handover else {
                Issue.record("expected a code")
                return
            }
            let email = "alex-\(UUID().uuidString.prefix(8).lowercased())@example.org"
            let passphrase = "a long enough passphrase"
            _ = try await portal.accept(.code(code), email: email, passphrase: passphrase, source: "test")
            let signedIn = try await portal.signIn(email: email, passphrase: passphrase, source: "test")
            let saved = try await portal.saveDraft(
                assignment: assigned.id,
                draft: nil,
                expectedVersion: 0,
                text: "Fictional first answer",
                share: false,
                actor: signedIn.actor
            )
            #expect(saved.outcome == .saved)
            #expect(try await portal.answers(signedIn.actor).drafts.map(\.text) == ["Fictional first answer"])
            // A second invitation (Jo's, or Alex's again) uses the same key.
            _ = try await portal.invite(alex, to: .couple(couple), email: nil, actor: setup.counselorA)
            #expect(try await keys() == 1)
        }
    }
}
