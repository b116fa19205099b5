import Foundation
import HavenService
import HavenServiceFixtures
import HavenTestSupport
import Postgres
import Testing

/// Review finding 2: invitation codes guessed through `haven_app`. Every check takes a ticket from a try
/// noted and committed before it; code tries are refused past a global budget per window.
extension PartnerAttackTests {
    /// Thrown to roll a transaction back, with the ticket noted in it.
    private struct RolledBack: Error {
        var ticket: UUID?
    }

    /// A new couple's partner (no account yet), invited by code: the code's hash.
    private static func openCode(_ p: Portal) async throws -> [UInt8] {
        let (other, sam, _) = try await p.setup.couple()
        let token = tokenHash()
        let invited = try await asStaff(
            "SELECT result FROM haven_portal_invite(\(sam), 'couple', \(other), NULL, \(token), 'invitation-code')",
            p.setup.counselorA,
            p.app
        )
        #expect(invited == "done")
        return token
    }

    /// How many rows `haven_portal_invitation` answers for `ticket` and `token`.
    private static func pages(_ ticket: UUID, _ token: [UInt8], _ pool: ConnectionPool) async throws -> Int {
        try await pool.query("SELECT count(*) FROM haven_portal_invitation(\(ticket), \(token))")[0]
            .decode(0, as: Int.self)
    }

    private static func tries(_ p: Portal) async throws -> Int {
        try await p.owner.query("SELECT count(*) FROM partner_link_tries")[0].decode(0, as: Int.self)
    }

    @Test func aCodeIsCheckedOnlyWithATryCommittedBeforeTheCheck() async throws {
        try await portal { p in
            let code = try await Self.openCode(p)
            // No ticket, a made-up ticket, a ticket for another guess, a link ticket for a code: refused.
            #expect(try await Self.pages(UUID(), code, p.app) == 0)
            let other = try await Self.noteTry(Self.tokenHash(), p.app)
            #expect(try await Self.pages(other, code, p.app) == 0)
            let linkTicket = try await Self.noteTry(code, p.app, kind: "link")
            #expect(try await Self.pages(linkTicket, code, p.app) == 0)
            let unknownTicket = try await p.app.query(
                "SELECT haven_portal_spend_invitation(\(UUID()), \(code), NULL, \(Self.passphrase), 'attacker', NULL)"
            )[0].decode(0, as: String.self)
            #expect(unknownTicket == "refused")
            // Noted and checked in one transaction (so a rollback would hide it): refused.
            let sameTransaction = try await p.app.transaction { connection in
                let ticket = try await connection.query(
                    "SELECT haven_portal_note_try('code', \(code), 'attacker', NULL)"
                )[0].decode(0, as: UUID.self)
                let page = try await connection.query(
                    "SELECT count(*) FROM haven_portal_invitation(\(ticket), \(code))"
                )[0]
                .decode(0, as: Int.self)
                let spent = try await connection.query(
                    "SELECT haven_portal_spend_invitation(\(ticket), \(code), 'sam@example.org', \(Self.passphrase), 'attacker', NULL)"
                )[0].decode(0, as: String.self)
                return (page, spent)
            }
            #expect(sameTransaction == (0, "refused"))
            // A try noted in a transaction that rolls back leaves no ticket.
            do {
                try await p.app.transaction { connection in
                    let ticket = try await connection.query(
                        "SELECT haven_portal_note_try('code', \(code), 'attacker', NULL)"
                    )[0].decode(0, as: UUID.self)
                    throw RolledBack(ticket: ticket)
                }
            } catch let rolledBack as RolledBack {
                let ticket = try #require(rolledBack.ticket)
                #expect(try await Self.pages(ticket, code, p.app) == 0)
            }
            // The try rows are out of haven_app's reach: it cannot read, change or delete them.
            for statement: PostgresQuery in [
                "SELECT count(*) FROM partner_link_tries", "DELETE FROM partner_link_tries",
                "UPDATE partner_link_tries SET tried_at = now() - interval '1 day'",
            ] {
                #expect(try await Self.sqlState { _ = try await p.app.query(statement) } == "42501")
            }
            #expect(
                try await Self.sqlState {
                    _ = try await p.app.query("SELECT haven_portal_try_kind(\(UUID()), \(code))")
                } == "42501"
            )
            // The same code with a committed try: the page, then the spend.
            let ticket = try await Self.noteTry(code, p.app)
            #expect(try await Self.pages(ticket, code, p.app) == 1)
            #expect(try await Self.spend(code, "sam@example.org", Self.passphrase, p.app) == "done")
        }
    }

    @Test func aRollbackDoesNotEraseCountedTries() async throws {
        try await portal { p in
            let code = try await Self.openCode(p)
            let before = try await Self.tries(p)
            // The attacker notes a try, checks it inside BEGIN … ROLLBACK, and spends inside another.
            let ticket = try await Self.noteTry(code, p.app)
            do {
                try await p.app.transaction { connection in
                    let page = try await connection.query(
                        "SELECT count(*) FROM haven_portal_invitation(\(ticket), \(code))"
                    )[0].decode(0, as: Int.self)
                    #expect(page == 1)
                    let spent = try await connection.query(
                        "SELECT haven_portal_spend_invitation(\(ticket), \(code), 'sam@example.org', \(Self.passphrase), 'attacker', NULL)"
                    )[0].decode(0, as: String.self)
                    #expect(spent == "done")
                    throw RolledBack(ticket: ticket)
                }
            } catch is RolledBack {}
            // The try stays counted, with the address it came from.
            #expect(try await Self.tries(p) == before + 1)
            let row = try await p.owner.query(
                "SELECT kind, source, token_hash IS NOT NULL FROM partner_link_tries WHERE ticket = \(ticket)"
            )[0].decode((String, String, Bool).self)
            #expect(row == ("code", "attacker", true))
            // Once the window has passed the guessed hash is cleared (the next try clears it) and the
            // ticket no longer works.
            try await p.owner.query("UPDATE partner_link_tries SET tried_at = tried_at - interval '11 minutes'")
            _ = try await Self.noteTry(Self.tokenHash(), p.app)
            let cleared = try await p.owner.query(
                "SELECT token_hash IS NULL FROM partner_link_tries WHERE ticket = \(ticket)"
            )[0].decode(0, as: Bool.self)
            #expect(cleared)
            #expect(try await Self.pages(ticket, code, p.app) == 0)
        }
    }

    @Test func theBudgetStopsALoopOfGuesses() async throws {
        try await portal { p in
            let code = try await Self.openCode(p)
            let budget = try await p.app.query("SELECT haven_portal_code_try_budget()")[0].decode(0, as: Int.self)
            #expect(budget == 100)
            // A loop of wrong guesses up to one below the budget (the fixture's own spends counted):
            // the real code's try is still answered.
            let earlier = try await p.owner.query("SELECT count(*) FROM partner_link_tries WHERE kind = 'code'")[0]
                .decode(0, as: Int.self)
            for _ in 0..<(budget - 1 - earlier) {
                let guess = Self.tokenHash()
                let ticket = try await Self.noteTry(guess, p.app)
                #expect(try await Self.pages(ticket, guess, p.app) == 0)
            }
            let last = try await Self.noteTry(code, p.app)
            #expect(try await Self.pages(last, code, p.app) == 1)
            // Past the budget the right code gets the wrong code's answer, for the page and the spend.
            let past = try await Self.noteTry(code, p.app)
            #expect(try await Self.pages(past, code, p.app) == 0)
            #expect(try await Self.spend(code, "sam@example.org", Self.passphrase, p.app) == "refused")
            // Links (256-bit tokens) are counted apart: a partner invited by link still gets in.
            let (second, pat, _) = try await p.setup.couple()
            let link = Self.tokenHash()
            _ = try await Self.asStaff(
                "SELECT result FROM haven_portal_invite(\(pat), 'couple', \(second), 'pat@example.org', \(link), 'invitation-link')",
                p.setup.counselorA,
                p.app
            )
            #expect(try await Self.spend(link, nil, Self.passphrase, p.app, kind: "link") == "done")
            // The next window answers again.
            try await p.owner.query("UPDATE partner_link_tries SET tried_at = tried_at - interval '11 minutes'")
            #expect(try await Self.spend(code, "sam@example.org", Self.passphrase, p.app) == "done")
        }
    }

    @Test func aSpendGivesNoAnswerBeforeItsTryIsCounted() async throws {
        try await portal { p in
            let code = try await Self.openCode(p)
            let unknown = Self.tokenHash()
            // Without a committed try the valid code and an unknown one get one answer, whatever the
            // address and passphrase hash (NULL used to answer `invalid` for a valid code only).
            for (email, hash) in [(nil, nil), ("sam@example.org", "plaintext"), (nil, Self.passphrase)]
                as [(String?, String?)]
            {
                for token in [code, unknown] {
                    let answer = try await p.app.query(
                        "SELECT haven_portal_spend_invitation(\(UUID()), \(token), \(email), \(hash), 'attacker', NULL)"
                    )[0].decode(0, as: String.self)
                    #expect(answer == "refused")
                }
            }
            // With a try: `invalid` tells a valid code, but the try was counted first.
            let before = try await Self.tries(p)
            #expect(try await Self.spend(code, nil, nil, p.app) == "invalid")
            #expect(try await Self.spend(unknown, nil, nil, p.app) == "refused")
            #expect(try await Self.tries(p) == before + 2)
        }
    }
}
