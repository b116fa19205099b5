import Foundation
import Postgres

/// Turns what a person typed for a record (a UUID, or an unambiguous prefix of one, 8 or more hex
/// digits) into its id, within the actor's reach. Prefix lookups are index range scans, not text
/// matches, and a prefix that matches records out of reach matches nothing.
public struct ReferenceResolver: Sendable {
    let pool: ConnectionPool

    /// - Parameter pool: connections as the application role.
    public init(pool: ConnectionPool) {
        self.pool = pool
    }

    /// The kinds of record a reference can name.
    public enum Kind: String, Sendable, CaseIterable {
        case client, couple, session, note, assignment, injury, goal, prompt, staff, practice
        /// A measure administration.
        case measure
        case psychotherapyNote = "psychotherapy note"
        case grant = "break-glass grant"

        var table: StaticString {
            switch self {
            case .client: "clients"
            case .couple: "couples"
            case .session: "therapy_sessions"
            case .note: "progress_notes"
            case .assignment: "homework_assignments"
            case .injury: "attachment_injuries"
            case .goal: "treatment_goals"
            case .prompt: "homework_prompts"
            case .staff: "staff"
            case .practice: "practices"
            case .measure: "measure_administrations"
            case .psychotherapyNote: "psychotherapy_notes"
            case .grant: "break_glass_grants"
            }
        }
    }

    /// The shortest prefix accepted.
    public static let minimumPrefix = 8

    /// The hex digits of `text` when it can name a record by prefix (8 to 31 hex digits, dashes
    /// ignored), lowercased; nil otherwise. Clients check with it before sending a prefix anywhere.
    public static func prefixDigits(_ text: String) -> String? {
        let digits = text.trimmingCharacters(in: .whitespaces).lowercased().filter { $0 != "-" }
        guard digits.count >= minimumPrefix, digits.count < 32, digits.allSatisfy(\.isHexDigit) else { return nil }
        return digits
    }

    /// The `ServiceError.reason` of a prefix that matches several records.
    public static let ambiguous = "ambiguous-reference"

    /// Resolves `text` to one record's id.
    ///
    /// - Throws: `invalidInput` (field = the kind) for text that is neither a UUID nor a prefix of 8+
    ///   hex digits; `conflict` (reason `ambiguous-reference`, field = the kind) for a prefix matching
    ///   several records in reach (naming up to five); `notFound` when nothing in reach matches.
    public func resolve(_ text: String, as kind: Kind, actor: StaffActor) async throws -> UUID {
        try await resolve(text, as: kind, actor: Optional(actor), practiceID: actor.practiceID)
    }

    /// As `resolve(_:as:actor:)` for operators (the owner role's pool): within one practice, or any
    /// when `practiceID` is nil (practices themselves).
    public func resolve(_ text: String, as kind: Kind, practiceID: UUID?) async throws -> UUID {
        try await resolve(text, as: kind, actor: nil, practiceID: practiceID)
    }

    private func resolve(
        _ text: String,
        as kind: Kind,
        actor: StaffActor?,
        practiceID: UUID?
    ) async throws -> UUID {
        let trimmed = text.trimmingCharacters(in: .whitespaces).lowercased()
        if let id = UUID(uuidString: trimmed) { return id }
        guard let digits = Self.prefixDigits(trimmed) else {
            throw ServiceError(
                .invalidInput,
                field: kind.rawValue,
                "'\(text.prefix(40))' is not a UUID or a prefix of at least \(Self.minimumPrefix) hex digits"
            )
        }
        let low = Self.uuid(digits + String(repeating: "0", count: 32 - digits.count))
        let high = Self.uuid(digits + String(repeating: "f", count: 32 - digits.count))
        let query: PostgresQuery = """
            SELECT id FROM \(unescaped: kind.table) WHERE id BETWEEN \(low) AND \(high) ORDER BY id LIMIT 5
            """
        let matches: [UUID]
        if let actor {
            // Row-level security decides what "in reach" means for the actor; sessions and staff are
            // part of the calendar a scheduler reaches.
            let reach: UseCaseReach = [.session, .staff].contains(kind) ? .calendar : .clinical
            matches = try await pool.transaction(as: actor, reach: reach) { connection in
                try await connection.query(query).map { try $0.decode(0, as: UUID.self) }
            }
        } else if let practiceID, kind != .practice {
            // An operator (owner role) sees every practice: keep to the one named.
            let scoped: PostgresQuery = """
                SELECT id FROM \(unescaped: kind.table) WHERE id BETWEEN \(low) AND \(high) AND practice_id = \(practiceID)
                ORDER BY id LIMIT 5
                """
            matches = try await pool.query(scoped).map { try $0.decode(0, as: UUID.self) }
        } else {
            matches = try await pool.query(query).map { try $0.decode(0, as: UUID.self) }
        }
        switch matches.count {
        case 0:
            throw ServiceError(
                .notFound,
                field: kind.rawValue,
                "no \(kind.rawValue) in your reach starts with \(trimmed)"
            )
        case 1:
            return matches[0]
        default:
            let names = matches.map { $0.uuidString.lowercased() }.joined(separator: ", ")
            throw ServiceError(
                .conflict,
                field: kind.rawValue,
                reason: Self.ambiguous,
                "\(trimmed) matches several: \(names)\(matches.count == 5 ? ", ..." : ""); give more digits"
            )
        }
    }

    private static func uuid(_ hex: String) -> UUID {
        let characters = Array(hex)
        let groups = [0..<8, 8..<12, 12..<16, 16..<20, 20..<32].map { String(characters[$0]) }
        return UUID(uuidString: groups.joined(separator: "-"))!
    }
}
