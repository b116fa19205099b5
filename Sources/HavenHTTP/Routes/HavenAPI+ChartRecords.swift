import Foundation
import HavenCore
import HavenService
import Hummingbird
import Postgres

extension HavenAPI {

    struct InjuryUpdateBody: Decodable {
        var resolutionStep: Int
        var status: String
        var resolvedOn: String?
    }

    struct NewPromptBody: Decodable {
        var title: String
        var category: String
        var instructions: String
        var frequency: String
        var stages: [Int]
        var joint: Bool
    }

    /// The rest of what a counselor does through the CLI: a client's own notes and sessions, a
    /// note's addenda, moving an injury through the resolution model, the practice's own prompts.
    func addChartRecords(to v1: RouterGroup<HavenRequestContext>) {
        let notes = NoteService(pool: pool, keys: keys)
        let sessions = SessionService(pool: pool, keys: keys)
        let records = CoupleRecordService(pool: pool, keys: keys)
        let homework = HomeworkService(pool: pool, keys: keys)
        v1.get("/clients/{clientId}/notes") { request, context in
            let list = try await notes.list(
                chart: .client(try Self.id("clientId", context)),
                actor: try context.requireActor()
            )
            return try APIJSON.response(
                try Page(list, request: request, key: { $0.id.uuidString.lowercased() }, line: { $0 })
            )
        }
        v1.get("/clients/{clientId}/sessions") { request, context in
            let list = try await sessions.list(
                chart: .client(try Self.id("clientId", context)),
                actor: try context.requireActor()
            )
            return try APIJSON.response(
                try Page(list, request: request, key: { $0.id.uuidString.lowercased() }, line: { $0 })
            )
        }
        v1.get("/notes/{noteId}/addenda") { request, context in
            let list = try await notes.addenda(of: try Self.id("noteId", context), actor: try context.requireActor())
            return try APIJSON.response(
                try Page(list, request: request, key: { $0.id.uuidString.lowercased() }, line: { $0 })
            )
        }
        v1.put("/injuries/{injuryId}") { request, context in
            let actor = try context.requireActor()
            let body = try await APIJSON.decode(InjuryUpdateBody.self, from: request, context: context)
            try await records.updateInjury(
                try Self.id("injuryId", context),
                step: body.resolutionStep,
                status: try Self.parse(InjuryStatus.self, body.status),
                resolvedOn: try body.resolvedOn.map { try Self.date($0, field: "resolvedOn") },
                actor: actor
            )
            return Response(status: .noContent)
        }
        v1.post("/homework/prompts") { request, context in
            let actor = try context.requireActor()
            let body = try await APIJSON.decode(NewPromptBody.self, from: request, context: context)
            let stages = try body.stages.map { number in
                guard let stage = EFTStage(rawValue: number) else {
                    throw ServiceError(.invalidInput, field: "stages", "are 1, 2 or 3")
                }
                return stage
            }
            let id = try await homework.addPrompt(
                title: body.title,
                category: try Self.parse(HomeworkCategory.self, body.category),
                instructions: body.instructions,
                frequency: try Self.parse(HomeworkFrequency.self, body.frequency),
                stages: Set(stages),
                joint: body.joint,
                actor: actor
            )
            return try APIJSON.response(Created(id: id.uuidString.lowercased()), status: .created)
        }
    }
}
