import Foundation
import HavenService
import Hummingbird

extension HavenAPI {
    /// A whole chart as `ChartService.record` reads it (the web app's chart page shows the same):
    /// the clinical facts of the chart's whole life, each injury, every cycle-map version of each
    /// partner, each note's state and author (no text), and the homework with its responses.
    struct ChartRecordView: Encodable {
        var facts: ReportFacts
        var today: String
        var injuries: [InjuryLine]
        var cycleMaps: [PartnerMaps]
        var notes: [Note]
        var homework: [AssignmentView]
        var queryCount: Int

        struct PartnerMaps: Encodable {
            var partnerId: String
            var versions: [CycleMapVersion]
        }

        /// A note's listing with its author's name.
        struct Note: Encodable {
            var entry: ChartService.NoteEntry

            enum CodingKeys: String, CodingKey { case authorName }

            func encode(to encoder: any Encoder) throws {
                try entry.listing.encode(to: encoder)
                var container = encoder.container(keyedBy: CodingKeys.self)
                try container.encode(entry.authorName, forKey: .authorName)
            }
        }

        init(_ record: ChartService.Record) {
            facts = record.facts
            today = record.today.description
            injuries = record.injuries.map { injury in
                InjuryLine(
                    id: injury.id.uuidString.lowercased(),
                    injuredPartnerId: injury.injuredPartnerID.uuidString.lowercased(),
                    injuredPartnerName: injury.injuredPartnerName,
                    description: injury.description,
                    identifiedOn: injury.identifiedOn.description,
                    status: injury.status.rawValue,
                    resolutionStep: injury.resolutionStep,
                    resolvedOn: injury.resolvedOn?.description
                )
            }
            cycleMaps = record.cycleMaps.map {
                PartnerMaps(
                    partnerId: $0.partnerID.uuidString.lowercased(),
                    versions: $0.versions.map(CycleMapVersion.init)
                )
            }
            notes = record.notes.map(Note.init)
            homework = record.homework.map(AssignmentView.init)
            queryCount = record.queryCount
        }
    }

    /// `GET /v1/couples/{coupleId}/chart` and `GET /v1/clients/{clientId}/chart`: one read, audited as
    /// the chart's read (denied for a chart out of reach, which is 404 like a missing one).
    func addChartRecord(to v1: RouterGroup<HavenRequestContext>) {
        let charts = ChartService(pool: pool, keys: keys)
        v1.get("/couples/{coupleId}/chart") { _, context in
            let record = try await charts.record(
                .couple(try Self.id("coupleId", context)),
                actor: try context.requireActor()
            )
            return try APIJSON.response(ChartRecordView(record))
        }
        v1.get("/clients/{clientId}/chart") { _, context in
            let record = try await charts.record(
                .client(try Self.id("clientId", context)),
                actor: try context.requireActor()
            )
            return try APIJSON.response(ChartRecordView(record))
        }
    }
}
