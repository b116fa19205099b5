import Foundation
import HavenCore
import HavenStore
import Postgres

extension HomeworkService {
    /// Adds a practice-authored prompt to the practice's library (beside the built-in ones). Audited.
    ///
    /// - Throws: `invalidInput` naming `title` (1–120 characters), `instructions` (1–4000) or `stages`
    ///   (at least one); `forbidden` for a role that keeps no caseload.
    public func addPrompt(
        title: String,
        category: HomeworkCategory,
        instructions: String,
        frequency: HomeworkFrequency,
        stages: Set<EFTStage>,
        joint: Bool,
        actor: StaffActor
    ) async throws -> UUID {
        try actor.validate()
        guard actor.roles.contains(.counselor) || actor.roles.contains(.supervisor) else {
            throw ServiceError(.forbidden, "only counselors and supervisors add homework prompts")
        }
        let trimmedTitle = title.trimmingCharacters(in: .whitespacesAndNewlines)
        guard (1...120).contains(trimmedTitle.unicodeScalars.count) else {
            throw ServiceError(.invalidInput, field: "title", "must be 1 to 120 characters")
        }
        let trimmedInstructions = instructions.trimmingCharacters(in: .whitespacesAndNewlines)
        guard (1...4000).contains(trimmedInstructions.unicodeScalars.count) else {
            throw ServiceError(.invalidInput, field: "instructions", "must be 1 to 4000 characters")
        }
        guard !stages.isEmpty else {
            throw ServiceError(.invalidInput, field: "stages", "name at least one EFT stage the prompt suits")
        }
        let id = UUID()
        let stageNumbers = stages.map(\.rawValue).sorted().map(Int32.init)
        try await pool.transaction(as: actor) { connection in
            let statements: [PostgresQuery] = [
                """
                INSERT INTO homework_prompts (id, practice_id, title, category, instructions, frequency, stages, joint)
                VALUES (\(id), \(actor.practiceID), \(trimmedTitle), \(category.rawValue), \(trimmedInstructions), \
                \(frequency.rawValue), \(stageNumbers)::smallint[], \(joint))
                """
            ]
            try await connection.commit(
                statements,
                audited: AuditEvent(action: .homeworkPromptAdd, entityType: .prompt, entityID: id)
            )
        }
        return id
    }
}
