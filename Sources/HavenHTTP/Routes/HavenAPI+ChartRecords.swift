import Foundation
import HavenCore
import HavenService
import Hummingbird

extension HavenAPI {

    /// `PUT /v1/injuries/{id}`: an injury's resolution-model step and status.
    public struct InjuryUpdateBody: Codable, Sendable {
        public var resolutionStep: Int
        public var status: String
        public var resolvedOn: String?

        public init(
            resolutionStep: Int,
            status: String,
            resolvedOn: String? = nil
        ) {
            self.resolutionStep = resolutionStep
            self.status = status
            self.resolvedOn = resolvedOn
        }
    }

    /// `POST /v1/homework/prompts`: a practice's own homework prompt.
    public struct NewPromptBody: Codable, Sendable {
        public var title: String
        public var category: String
        public var instructions: String
        public var frequency: String
        public var stages: [Int]
        public var joint: Bool

        public init(
            title: String,
            category: String,
            instructions: String,
            frequency: String,
            stages: [Int],
            joint: Bool
        ) {
            self.title = title
            self.category = category
            self.instructions = instructions
            self.frequency = frequency
            self.stages = stages
            self.joint = joint
        }
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
