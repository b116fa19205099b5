import Foundation
import HavenCore
import HavenService
import HavenStore
import HavenTestSupport
import Logging
import Postgres
import Sealing

/// Two counselors and an admin in one practice, with the chart, session and note services.
///
/// Shared by HavenServiceTests and HavenCLITests; needs the test server (`TestDatabase`).
public struct ClinicSetup: Sendable {
    /// The practice, its pools and counselor A's id.
    public let fixture: StaffFixture
    /// The services, over the application-role pool and `keys`.
    public let charts: ChartService
    public let sessions: SessionService
    public let notes: NoteService
    /// Signed-in staff: Dana (A) and Sam (B), counselors; the office, an admin.
    public let counselorA: StaffActor
    public let counselorB: StaffActor
    public let admin: StaffActor
    /// Sam's staff id.
    public let counselorBID: UUID
    /// A key manager over a fresh master keyring, checked against the database.
    public let keys: KeyManager
    /// How many sessions `completedSession()` has booked: each takes the next two-hour slot, so a
    /// counselor is never double-booked.
    let bookedSessions = Counter()

    /// Builds the clinic in a fresh test database, runs `body`, and drops the database.
    public static func with<Value>(
        logger: Logger = TestDatabase.logger,
        _ body: (ClinicSetup) async throws -> Value
    ) async throws -> Value {
        try await StaffFixture.with(logger: logger) { fixture in
            let counselorBID = try await fixture.staff.createStaff(
                .init(
                    email: "sam@harbor.example",
                    displayName: "Sam Ortiz",
                    roles: [.counselor],
                    password: StaffFixture.password
                ),
                practiceID: fixture.practiceID,
                source: "test"
            )
            let adminID = try await fixture.staff.createStaff(
                .init(
                    email: "ops@harbor.example",
                    displayName: "Office",
                    roles: [.admin],
                    password: StaffFixture.password
                ),
                practiceID: fixture.practiceID,
                source: "test"
            )
            let keys = KeyManager(ring: try MasterKeyring.generate(), logger: logger)
            try await fixture.owner.withConnection { try await keys.checkMasterKeys(on: $0) }
            func actor(_ id: UUID, _ roles: Set<StaffActor.Role>) async throws -> StaffActor {
                let actor = try await fixture.staff.openSession(
                    for: id,
                    practiceID: fixture.practiceID,
                    lifetime: .seconds(6 * 3_600),
                    source: "test"
                )
                precondition(actor.roles == roles, "the fixture's roles drifted")
                return actor
            }
            return try await body(
                ClinicSetup(
                    fixture: fixture,
                    charts: ChartService(pool: fixture.app, keys: keys),
                    sessions: SessionService(pool: fixture.app, keys: keys),
                    notes: NoteService(pool: fixture.app, keys: keys),
                    counselorA: try await actor(fixture.counselorID, [.counselor]),
                    counselorB: try await actor(counselorBID, [.counselor]),
                    admin: try await actor(adminID, [.admin]),
                    counselorBID: counselorBID,
                    keys: keys
                )
            )
        }
    }

    /// The presenting concerns `couple(_:)` seals by default (fictional).
    public static let sampleConcerns = "They argue about time together; she pursues, he withdraws."

    /// Counselor A's new couple (Alex and Jo) with `concerns` (none: nothing sealed for the couple, so it
    /// has no data key yet); returns the couple and partner ids.
    public func couple(
        _ concerns: String? = ClinicSetup.sampleConcerns
    )
        async throws -> (couple: UUID, a: UUID, b: UUID)
    {
        let intake = CalendarDate(year: 2026, month: 9, day: 1)!
        let a = try await charts.createClient(
            .init(legalName: "Alex Morgan", preferredName: "Alex", intakeDate: intake),
            actor: counselorA
        )
        let b = try await charts.createClient(
            .init(legalName: "Jordan Lee", preferredName: "Jo", intakeDate: intake),
            actor: counselorA
        )
        let couple = try await charts.createCouple(
            partnerA: a,
            partnerB: b,
            startDate: intake,
            presentingConcerns: concerns,
            actor: counselorA
        )
        return (couple, a, b)
    }
}

extension ClinicSetup {
    /// A completed couple session of a new couple of counselor A's (`couple(_:)`, with `concerns`): the
    /// first at 1_790_000_000 (2026-09-21), each later one two hours after the one before.
    public func completedSession(
        concerns: String? = ClinicSetup.sampleConcerns
    ) async throws -> (session: UUID, couple: UUID, a: UUID, b: UUID) {
        let (couple, a, b) = try await self.couple(concerns)
        let slot = Double(bookedSessions.increment() - 1)
        let session = try await sessions.schedule(
            .couple(couple),
            start: Date(timeIntervalSince1970: 1_790_000_000 + slot * 7_200),
            durationMinutes: 60,
            format: .inPerson,
            actor: counselorA
        )
        try await sessions.setStatus(.completed, session: session, actor: counselorA)
        return (session, couple, a, b)
    }
}

extension ClinicSetup {
    /// A front-desk account (the scheduler role alone) in the practice, signed in for an hour.
    public func frontDesk() async throws -> StaffActor {
        let schedulerID = try await fixture.staff.createStaff(
            .init(
                email: "desk@harbor.example",
                displayName: "Fictional Pat Desk",
                roles: [.scheduler],
                password: StaffFixture.password
            ),
            practiceID: fixture.practiceID,
            source: "test"
        )
        return try await fixture.staff.openSession(
            for: schedulerID,
            practiceID: fixture.practiceID,
            lifetime: .seconds(3_600),
            source: "test"
        )
    }
}
