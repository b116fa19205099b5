import Foundation
import HavenService
import HavenServiceFixtures
import HavenTestSupport
import Postgres
import Testing

/// The outbox's table (migration 0044): a message is queued in the transaction of its cause and holds
/// no text or address; `haven_app` reads nothing and, since migration 0059, queues nothing by hand (the
/// causes' triggers queue; `haven_notification_enqueue` is the owner's, used here to queue directly).
@Suite("The notification outbox (migration 0044)", .needsTestDatabase)
struct NotificationOutboxTests {
    /// Counselor A's couple, with Alex invited to the portal by email (so Alex has an account) and
    /// Jo not invited (no account).
    func clinic(_ body: (ClinicSetup, _ alex: UUID, _ jo: UUID) async throws -> Void) async throws {
        try await ClinicSetup.with { setup in
            let (couple, alex, jo) = try await setup.couple()
            let portal = PortalService(pool: setup.fixture.app, hasher: StaffFixture.hasher)
            _ = try await portal.invite(alex, to: .couple(couple), email: "alex@example.org", actor: setup.counselorA)
            try await body(setup, alex, jo)
        }
    }

    static let about = Date(timeIntervalSince1970: 1_797_346_800)

    @Test func aMessageIsQueuedWithItsCauseAndHoldsNoTextOrAddress() async throws {
        try await clinic { setup, alex, jo in
            let queued = try await setup.fixture.owner.transaction(as: setup.counselorA) { connection in
                try await connection.query(
                    "SELECT haven_notification_enqueue(\(alex), 'appointment-reminder', \(Self.about), \(Self.about))"
                )[0].decode(0, as: UUID?.self)
            }
            let id = try #require(queued)
            let row = try await setup.fixture.owner.query(
                "SELECT kind, state, attempts, about_time FROM notification_outbox WHERE id = \(id)"
            )
            #expect(try row[0].decode(0, as: String.self) == "appointment-reminder")
            #expect(try row[0].decode(1, as: String.self) == "pending")
            #expect(try row[0].decode(2, as: Int.self) == 0)
            #expect(try row[0].decode(3, as: Date.self) == Self.about)
            // No column could hold a message's text or the recipient's address.
            let columns = try await setup.fixture.owner.query(
                """
                SELECT column_name FROM information_schema.columns
                WHERE table_name = 'notification_outbox' AND data_type IN ('text', 'character varying', 'bytea', 'jsonb')
                ORDER BY column_name
                """
            ).map { try $0.decode(0, as: String.self) }
            #expect(columns == ["chart_kind", "kind", "last_error", "state"])
            // Jo has no portal account: nothing to queue.
            let none = try await setup.fixture.owner.transaction(as: setup.counselorA) { connection in
                try await connection.query(
                    "SELECT haven_notification_enqueue(\(jo), 'homework-due', \(Self.about), \(Self.about))"
                )[0].decode(0, as: UUID?.self)
            }
            #expect(none == nil)
        }
    }

    @Test func aCauseRolledBackLeavesNoMessage() async throws {
        try await clinic { setup, alex, _ in
            struct Abandoned: Error {}
            await #expect(throws: Abandoned.self) {
                try await setup.fixture.owner.transaction(as: setup.counselorA) { connection in
                    _ = try await connection.query(
                        "SELECT haven_notification_enqueue(\(alex), 'homework-due', \(Self.about), \(Self.about))"
                    )
                    throw Abandoned()
                }
            }
            let count = try await setup.fixture.owner.query("SELECT count(*) FROM notification_outbox")[0]
                .decode(0, as: Int.self)
            #expect(count == 0)
        }
    }

    @Test func theAppRoleQueuesNothingByHandAndReadsNothing() async throws {
        try await clinic { setup, alex, _ in
            // In the counselor's own staff context: no privilege on the function (migration 0059).
            let refused = await #expect(throws: PostgresError.self) {
                try await setup.fixture.app.transaction(as: setup.counselorA) { connection in
                    try await connection.query(
                        "SELECT haven_notification_enqueue(\(alex), 'homework-due', \(Self.about), \(Self.about))"
                    )
                }
            }
            #expect(refused?.sqlState == "42501")
            try await setup.fixture.app.withConnection { connection in
                // Without a context: refused.
                await #expect(throws: PostgresError.self) {
                    try await connection.query(
                        "SELECT haven_notification_enqueue(\(alex), 'homework-due', \(Self.about), \(Self.about))"
                    )
                }
                for table in ["notification_outbox", "notification_opt_outs"] {
                    await #expect(throws: PostgresError.self) {
                        try await connection.query("SELECT count(*) FROM \(identifier: table)")
                    }
                    await #expect(throws: PostgresError.self) {
                        try await connection.execute("DELETE FROM \(identifier: table)")
                    }
                }
            }
            // A kind the outbox does not send (an invitation carries a token) is refused.
            await #expect(throws: PostgresError.self) {
                try await setup.fixture.owner.transaction(as: setup.counselorA) { connection in
                    try await connection.query(
                        "SELECT haven_notification_enqueue(\(alex), 'invitation', \(Self.about), \(Self.about))"
                    )
                }
            }
        }
    }
}
