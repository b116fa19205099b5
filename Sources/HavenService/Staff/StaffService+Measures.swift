import Foundation
import HavenStore
import Postgres

extension StaffService {
    /// A practice-defined outcome measure: a single score in a range, which direction is better, an
    /// optional cut-off, and optionally the SD and reliability (with their source) that reliable
    /// change needs.
    public struct MeasureDefinition: Sendable {
        public var code: String
        public var name: String
        public var minimum: Double
        public var maximum: Double
        public var higherIsBetter: Bool
        public var cutoff: Double?
        public var standardDeviation: Double?
        public var reliability: Double?
        public var parametersSource: String?

        public init(
            code: String,
            name: String,
            minimum: Double,
            maximum: Double,
            higherIsBetter: Bool,
            cutoff: Double? = nil,
            standardDeviation: Double? = nil,
            reliability: Double? = nil,
            parametersSource: String? = nil
        ) {
            self.code = code
            self.name = name
            self.minimum = minimum
            self.maximum = maximum
            self.higherIsBetter = higherIsBetter
            self.cutoff = cutoff
            self.standardDeviation = standardDeviation
            self.reliability = reliability
            self.parametersSource = parametersSource
        }
    }

    /// Adds a practice-defined measure (operators). Audited.
    ///
    /// - Throws: `invalidInput` naming the field (`code`, `name`, `maximum`, `cutoff`,
    ///   `standardDeviation`, `reliability`, `parametersSource`); `conflict` when the code is taken.
    public func defineMeasure(_ definition: MeasureDefinition, practiceID: UUID, source: String) async throws -> UUID {
        let code = definition.code.trimmingCharacters(in: .whitespaces)
        guard (1...40).contains(code.count) else {
            throw ServiceError(.invalidInput, field: "code", "must be 1 to 40 characters")
        }
        guard (1...200).contains(definition.name.trimmingCharacters(in: .whitespaces).count) else {
            throw ServiceError(.invalidInput, field: "name", "must be 1 to 200 characters")
        }
        guard definition.minimum < definition.maximum else {
            throw ServiceError(.invalidInput, field: "maximum", "must be above the minimum")
        }
        if let cutoff = definition.cutoff, !(definition.minimum...definition.maximum).contains(cutoff) {
            throw ServiceError(.invalidInput, field: "cutoff", "must lie within the measure's range")
        }
        guard (definition.standardDeviation == nil) == (definition.reliability == nil) else {
            throw ServiceError(
                .invalidInput,
                field: "reliability",
                "give the SD and the reliability together, or neither"
            )
        }
        if let sd = definition.standardDeviation, sd <= 0 {
            throw ServiceError(.invalidInput, field: "standardDeviation", "must be positive")
        }
        if let r = definition.reliability, !(0..<1).contains(r) {
            throw ServiceError(.invalidInput, field: "reliability", "must be at least 0 and below 1")
        }
        if definition.standardDeviation != nil,
            (definition.parametersSource ?? "").trimmingCharacters(in: .whitespaces).isEmpty
        {
            throw ServiceError(.invalidInput, field: "parametersSource", "say where the SD and reliability come from")
        }
        let id = UUID()
        do {
            try await pool.transaction(operatorIn: practiceID, source: source) { connection in
                let statements: [PostgresQuery] = [
                    """
                    INSERT INTO measure_definitions (id, practice_id, code, name, scoring, minimum, maximum, higher_is_better,
                                                     cutoff, standard_deviation, reliability, parameters_source)
                    VALUES (\(id), \(practiceID), \(code), \(definition.name), 'single_score', \(definition.minimum), \
                    \(definition.maximum), \(definition.higherIsBetter), \(definition.cutoff), \(definition.standardDeviation), \
                    \(definition.reliability), \(definition.parametersSource))
                    """
                ]
                try await connection.commit(
                    statements,
                    audited: AuditEvent(action: .measureDefine, entityType: .measure, entityID: id, outcome: .success)
                )
            }
        } catch let error as PostgresError where error.code == .uniqueViolation {
            throw ServiceError(.conflict, field: "code", "the practice already has a measure with this code")
        } catch let error as PostgresError where error.code == .foreignKeyViolation {
            throw ServiceError(.notFound, field: "practice", "no such practice")
        }
        return id
    }
}
