import Foundation
import HavenCore
import HavenService
import HavenServiceFixtures
import HavenStore
import HavenTestSupport
import Postgres
import Testing

@Suite("Client export for records requests", .needsTestDatabase)
struct ExportTests {
    @Test func partnerAsExportHoldsTheirRecordAndNothingConfidentialOfB() async throws {
        try await ClinicSetup.with { setup in
            let chart = try await SentinelChart.fill(setup)
            let service = ExportService(pool: setup.fixture.app, keys: setup.keys)
            let export = try await service.exportClient(chart.a, actor: setup.counselorA)
            let json = String(decoding: try ClientExport.encoder.encode(export), as: UTF8.self)
            for present in [
                "Alex Morgan", "CONJOINT-NOTE-SENTINEL", "ADDENDUM-REASON-SENTINEL", "ADDENDUM-BODY-SENTINEL",
                "A-RESPONSE-SENTINEL", "B-SHARED-SENTINEL", "A-CYCLE-SENTINEL", "pursues, he withdraws",
            ] {
                #expect(json.contains(present), "missing \(present)")
            }
            for absent in ["B-INDIVIDUAL-SENTINEL", "B-PRIVATE-SENTINEL", "B-CYCLE-SENTINEL", "PROCESS-NOTE-SENTINEL"] {
                #expect(!json.contains(absent), "leaked \(absent)")
            }
            #expect(export.psychotherapyNotes == nil)
            #expect(export.sessions.count == 1 && export.progressNotes.count == 1)
            #expect(export.sessions.first?.sessionType == "conjoint" && export.sessions.first?.serviceCode == nil)
            #expect(export.progressNotes[0].contentHash?.count == 64 && export.progressNotes[0].addenda.count == 1)
            // Ids are lowercase UUID text, as documented (Foundation's default is uppercase).
            #expect(json.contains("\"\(chart.a.uuidString.lowercased())\""))
            #expect(!json.contains(chart.a.uuidString) && !json.contains(chart.b.uuidString))
            #expect(
                json.wholeMatch(of: /(?s).*"[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}".*/) == nil
            )
            // The JSON reads back and encodes to the same bytes.
            let decoded = try ClientExport.decoder.decode(ClientExport.self, from: Data(json.utf8))
            #expect(String(decoding: try ClientExport.encoder.encode(decoded), as: UTF8.self) == json)

            // A draft is not part of the record: B's individual note is left out until it is signed.
            let unsigned = try await service.exportClient(chart.b, actor: setup.counselorA)
            #expect(
                !String(decoding: try ClientExport.encoder.encode(unsigned), as: UTF8.self).contains("B-INDIVIDUAL")
            )
            let individual = try #require(
                try await setup.notes.list(chart: .client(chart.b), actor: setup.counselorA).first
            )
            _ = try await setup.notes.sign(individual.id, expectedVersion: individual.version, actor: setup.counselorA)

            // B's export holds B's individual note and private response, and not A's response.
            let other = try await service.exportClient(chart.b, actor: setup.counselorA)
            let otherJSON = String(decoding: try ClientExport.encoder.encode(other), as: UTF8.self)
            #expect(otherJSON.contains("B-INDIVIDUAL-SENTINEL") && otherJSON.contains("B-PRIVATE-SENTINEL"))
            #expect(!otherJSON.contains("A-RESPONSE-SENTINEL") && !otherJSON.contains("A-CYCLE-SENTINEL"))
            #expect(other.sessions.count == 2)

            // Psychotherapy notes only when asked, and audited as such.
            let full = try await service.exportClient(chart.a, includePsychotherapyNotes: true, actor: setup.counselorA)
            #expect(full.psychotherapyNotes?.map(\.body) == ["PROCESS-NOTE-SENTINEL"])
            let actions = try await setup.fixture.owner.withConnection { connection in
                try await AuditStore.list(
                    .init(practiceID: setup.fixture.practiceID, clientID: chart.a),
                    on: connection
                )
            }.map(\.entry).filter { $0.action.hasPrefix("client.export") }.map(\.action)
            #expect(actions == ["client.export", "client.export.psychotherapy_notes"])
        }
    }

    @Test func aClientOutOfReachIsNotFoundAndTheAttemptAudited() async throws {
        try await ClinicSetup.with { setup in
            let chart = try await SentinelChart.fill(setup)
            let service = ExportService(pool: setup.fixture.app, keys: setup.keys)
            for outsider in [setup.counselorB, setup.admin] {
                let error = await #expect(throws: ServiceError.self) {
                    try await service.exportClient(chart.a, actor: outsider)
                }
                #expect(error?.kind == .notFound && error?.field == "client")
            }
            let denied = try await setup.fixture.owner.withConnection { connection in
                try await AuditStore.list(
                    .init(practiceID: setup.fixture.practiceID, action: "client.export"),
                    on: connection
                )
            }
            #expect(denied.map(\.entry.outcome) == [.denied, .denied])
        }
    }

    @Test func aValueThatFailsToOpenIsReportedAndTheRestIsExported() async throws {
        try await ClinicSetup.with { setup in
            let chart = try await SentinelChart.fill(setup)
            // Damage A's own homework response and cycle map: one bit of each value's tag.
            let damaged = try await setup.fixture.owner.withConnection { connection in
                let response = try await connection.query(
                    """
                    UPDATE homework_responses SET response = set_byte(response, length(response) - 1,
                                                                    get_byte(response, length(response) - 1) # 1)
                    WHERE partner_id = \(chart.a) RETURNING id
                    """
                ).singleRow()?.decode(0, as: UUID.self)
                let map = try await connection.query(
                    """
                    UPDATE cycle_maps SET map = set_byte(map, length(map) - 1, get_byte(map, length(map) - 1) # 1)
                    WHERE partner_id = \(chart.a) RETURNING id
                    """
                ).singleRow()?.decode(0, as: UUID.self)
                return [try #require(response), try #require(map)]
            }
            let export = try await ExportService(pool: setup.fixture.app, keys: setup.keys)
                .exportClient(chart.a, actor: setup.counselorA)
            #expect(
                export.unreadableValues == [
                    .init(
                        table: "homework_responses",
                        column: "response",
                        rowID: damaged[0].uuidString.lowercased(),
                        reason: "sealed value failed authentication"
                    ),
                    .init(
                        table: "cycle_maps",
                        column: "map",
                        rowID: damaged[1].uuidString.lowercased(),
                        reason: "sealed value failed authentication"
                    ),
                ]
            )
            let responses = export.homework.flatMap(\.responses)
            #expect(responses.first { $0.id == damaged[0] }.map { $0.text == nil } == true)
            #expect(export.cycleMaps.count == 1 && export.cycleMaps[0].map == nil)
            let json = String(decoding: try ClientExport.encoder.encode(export), as: UTF8.self)
            for present in [
                "CONJOINT-NOTE-SENTINEL", "ADDENDUM-BODY-SENTINEL", "B-SHARED-SENTINEL", "unreadableValues",
            ] {
                #expect(json.contains(present), "missing \(present)")
            }
            #expect(!json.contains("A-RESPONSE-SENTINEL") && !json.contains("A-CYCLE-SENTINEL"))
            let decoded = try ClientExport.decoder.decode(ClientExport.self, from: Data(json.utf8))
            #expect(decoded.unreadableValues == export.unreadableValues && decoded.cycleMaps[0].map == nil)
        }
    }
}
