import Foundation
import HavenService
import HavenServiceFixtures
import HavenStore
import HavenTestSupport
import Postgres
import Testing

/// A couple's chart and the caseload lists, each one pipeline after the token check (BEGIN, the
/// context, the read and its audit entry, COMMIT; #17), with the entry recording what the read saw.
@Suite("A chart and the caseload lists: one round trip each, the entry what the read saw", .needsTestDatabase)
struct ChartReadRoundTripTests {
    private func statements(_ capture: LogCapture, from start: Int) -> [String] {
        capture.entries[start...].filter { $0.message == "statement" }.compactMap { $0.metadata["db.statement"] }
    }

    /// How many round trips the statements logged since `start` travelled in.
    private func roundTrips(_ capture: LogCapture, from start: Int) -> Int {
        var trips = Set<String>()
        for entry in capture.entries[start...] where entry.message == "statement" {
            trips.insert("\(entry.metadata["db.connection"] ?? "?")/\(entry.metadata["db.round_trip"] ?? "?")")
        }
        return trips.count
    }

    private func coupleReads(_ setup: ClinicSetup) async throws -> [AuditEntry] {
        try await setup.fixture.owner.withConnection { connection in
            try await AuditStore.list(
                .init(practiceID: setup.fixture.practiceID, action: AuditEvent.Action.coupleRead.rawValue),
                on: connection
            )
        }.map(\.entry)
    }

    @Test func aChartIsOneStatementWithItsEntryAndOutOfReachIsDeniedWithNoClient() async throws {
        let capture = LogCapture()
        try await ClinicSetup.with(logger: capture.logger()) { setup in
            let (couple, a, b) = try await setup.couple()
            // The first read also reads the chart's key and the format floor; the second finds both in memory.
            _ = try await setup.charts.couple(couple, actor: setup.counselorA)
            let start = capture.entries.count
            let read = try await setup.charts.couple(couple, actor: setup.counselorA)
            #expect(read.partnerA == a && read.partnerB == b && read.partnerAName == "Alex")
            #expect(read.presentingConcerns == ClinicSetup.sampleConcerns)
            let sent = statements(capture, from: start)
            #expect(sent.count == 4, "\(sent)")
            #expect(roundTrips(capture, from: start) == 1)
            #expect(sent.first?.hasPrefix("BEGIN") == true && sent.last == "COMMIT")
            #expect(sent.count == 4 && sent[2].contains("FROM couples") && sent[2].contains("haven_audit_append"))

            // A service whose key manager has nothing in memory opens the concerns in a second transaction.
            let fresh = ChartService(
                pool: setup.fixture.app,
                keys: KeyManager(ring: setup.keys.ring, logger: capture.logger())
            )
            #expect(
                try await fresh.couple(couple, actor: setup.counselorA).presentingConcerns == ClinicSetup.sampleConcerns
            )

            // Another counselor's reach does not hold the chart: not found, like a chart that is not there,
            // and one denied entry that names no client.
            let refused = await #expect(throws: ServiceError.self) {
                try await setup.charts.couple(couple, actor: setup.counselorB)
            }
            #expect(refused?.kind == .notFound)
            let entries = try await coupleReads(setup)
            #expect(entries.map(\.outcome) == [.success, .success, .success, .denied])
            #expect(entries.prefix(3).allSatisfy { $0.clientIDs == [a, b] && $0.entityID == couple })
            #expect(entries.last?.clientIDs == [] && entries.last?.staffID == setup.counselorB.staffID)
            let verified = try await setup.fixture.owner.withConnection {
                try await AuditStore.verify(practiceID: setup.fixture.practiceID, on: $0)
            }
            #expect(verified.firstBreak == nil)
        }
    }

    @Test func theCaseloadListsAreOnePipelineEachWithTheirEntry() async throws {
        let capture = LogCapture()
        try await ClinicSetup.with(logger: capture.logger()) { setup in
            let (couple, _, _) = try await setup.couple()
            var start = capture.entries.count
            #expect(try await setup.charts.listCouples(actor: setup.counselorA).map(\.id) == [couple])
            var sent = statements(capture, from: start)
            #expect(sent.count == 5, "\(sent)")
            #expect(roundTrips(capture, from: start) == 1)
            #expect(sent.first?.hasPrefix("BEGIN") == true && sent.last == "COMMIT")
            #expect(sent.count == 5 && sent[2].contains("FROM couples") && sent[3].contains("haven_audit_append"))

            start = capture.entries.count
            #expect(try await setup.charts.listClientSummaries(actor: setup.counselorA).count == 2)
            sent = statements(capture, from: start)
            #expect(sent.count == 5, "\(sent)")
            #expect(roundTrips(capture, from: start) == 1)
            #expect(sent.count == 5 && sent[2].contains("FROM clients") && sent[3].contains("haven_audit_append"))

            let lists = try await setup.fixture.owner.withConnection { connection in
                try await AuditStore.list(.init(practiceID: setup.fixture.practiceID), on: connection)
            }.map(\.entry).filter { $0.entityType == AuditEvent.EntityType.caseload.rawValue }
            #expect(
                lists.map(\.action) == [AuditEvent.Action.coupleList.rawValue, AuditEvent.Action.clientList.rawValue]
            )
            #expect(lists.allSatisfy { $0.entityID == setup.counselorA.staffID && $0.outcome == .success })
        }
    }
}
