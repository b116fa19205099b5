import Foundation
import HavenService
import HavenServiceFixtures
import HavenStore
import HavenTestSupport
import Testing

/// The review before release: what a client's export carries about the other partner, listed by
/// kind, id, date and label, never the text; audited, out of reach audited as denied.
@Suite("Client export review", .needsTestDatabase)
struct ExportReviewTests {
    @Test func listsWhatConcernsTheOtherPartnerWithoutTheText() async throws {
        try await ClinicSetup.with { setup in
            let chart = try await SentinelChart.fill(setup)
            let service = ExportService(pool: setup.fixture.app, keys: setup.keys)
            let export = try await service.exportClient(chart.a, actor: setup.counselorA)
            let review = try await service.reviewExport(chart.a, actor: setup.counselorA)
            #expect(review.clientID == chart.a)
            #expect(review.items.allSatisfy { $0.partnerID == chart.b })
            let kinds = Set(review.items.map(\.kind))
            for kind: ExportReview.Kind in [
                .conjointSession, .conjointNote, .addendum, .partnerHomeworkResponse, .cycleMap,
            ] {
                #expect(kinds.contains(kind), "missing \(kind)")
            }
            let note = try #require(review.items.first { $0.kind == .conjointNote })
            #expect(note.id == export.progressNotes[0].id && note.label == "conjoint session note \(note.date ?? "")")
            let addendum = try #require(review.items.first { $0.kind == .addendum })
            #expect(addendum.id == export.progressNotes[0].addenda[0].id)
            // Only B's shared response: A's own response is not about B.
            let responses = review.items.filter { $0.kind == .partnerHomeworkResponse }
            let shared = export.homework.flatMap(\.responses).filter { $0.partnerID == chart.b }
            #expect(responses.map(\.id) == shared.map(\.id) && shared.count == 1)
            // Never the clinical text.
            let json = String(decoding: try ClientExport.encoder.encode(review), as: UTF8.self)
            #expect(!json.contains("SENTINEL") && !json.contains("distant"), "\(json)")
            // Psychotherapy notes on the couple's chart are listed when the export would include them.
            #expect(!kinds.contains(.couplePsychotherapyNote))
            let full = try await service.reviewExport(chart.a, includePsychotherapyNotes: true, actor: setup.counselorA)
            #expect(full.items.contains { $0.kind == .couplePsychotherapyNote })

            let audited = try await setup.fixture.owner.withConnection { connection in
                try await AuditStore.list(
                    .init(practiceID: setup.fixture.practiceID, action: "client.export.review"),
                    on: connection
                )
            }.map(\.entry)
            #expect(audited.map(\.outcome) == [.success, .success] && audited.allSatisfy { $0.clientIDs == [chart.a] })
        }
    }

    @Test func aClientOutOfReachIsNotFoundAndTheAttemptAuditedAsDenied() async throws {
        try await ClinicSetup.with { setup in
            let chart = try await SentinelChart.fill(setup)
            let service = ExportService(pool: setup.fixture.app, keys: setup.keys)
            let error = await #expect(throws: ServiceError.self) {
                try await service.reviewExport(chart.a, actor: setup.counselorB)
            }
            #expect(error?.kind == .notFound && error?.field == "client")
            let denied = try await setup.fixture.owner.withConnection { connection in
                try await AuditStore.list(
                    .init(practiceID: setup.fixture.practiceID, action: "client.export.review"),
                    on: connection
                )
            }
            #expect(denied.map(\.entry.outcome) == [.denied])
        }
    }
}
