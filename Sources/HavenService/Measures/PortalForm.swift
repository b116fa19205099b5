import Foundation
import HavenCore
import Postgres

/// A measure a counselor schedules for a couple's partners to answer on the portal: one of the CSI forms,
/// answered item by item (migration 0055), or one of the practice's own measures, answered as one number
/// within its stored range (migration 0081). Haven ships no item wording for either.
public enum PortalForm: Sendable, Hashable {
    case csi(CouplesSatisfactionIndex)
    case practice(PracticeMeasure)

    /// A practice's own measure (a `measure_definitions` row of the practice, scoring `single_score`) as
    /// the portal asks it: its name and the range of its one number.
    public struct PracticeMeasure: Sendable, Hashable {
        public var definitionID: UUID
        public var code: String
        public var name: String
        public var minimum: Double
        public var maximum: Double

        public init(definitionID: UUID, code: String, name: String, minimum: Double, maximum: Double) {
            self.definitionID = definitionID
            self.code = code
            self.name = name
            self.minimum = minimum
            self.maximum = maximum
        }

        /// The score of an answer: the number itself, when it is one the measure takes.
        ///
        /// - Throws: `invalidInput` naming `score` for a number outside `minimum...maximum` (or not finite).
        public func score(_ value: Double) throws -> Double {
            guard value.isFinite, (minimum...maximum).contains(value) else {
                throw ServiceError(
                    .invalidInput,
                    field: "score",
                    "the answer must be a number from \(Self.text(minimum)) to \(Self.text(maximum))"
                )
            }
            return value
        }

        /// A bound or a score as people write it: `40`, `2.5`.
        public static func text(_ value: Double) -> String {
            value == value.rounded() && abs(value) < 1e15 ? String(Int(value)) : String(value)
        }
    }

    /// The measure's code: the CSI form's (`CSI-4`) or the practice's own.
    public var code: String {
        switch self {
        case .csi(let form): form.rawValue
        case .practice(let measure): measure.code
        }
    }

    /// What the pages call it: the CSI form's code, or the practice measure's name.
    public var title: String {
        switch self {
        case .csi(let form): form.rawValue
        case .practice(let measure): measure.name
        }
    }

    /// The highest total.
    public var maximum: Double {
        switch self {
        case .csi(let form): Double(form.maximum)
        case .practice(let measure): measure.maximum
        }
    }

    /// The form of a row's definition columns from `column` on (id, code, scoring, name, minimum, maximum),
    /// as the database returns them; nil for a scoring Haven does not know (a row of a newer version).
    static func decode(_ row: PostgresRow, from column: Int) throws -> PortalForm? {
        let (definition, code, scoring, name, minimum, maximum) = try row.decode(
            (UUID, String, String, String, Double, Double).self,
            from: column
        )
        return switch scoring {
        case "csi4": .csi(.csi4)
        case "csi16": .csi(.csi16)
        case "csi32": .csi(.csi32)
        case "single_score":
            .practice(
                PracticeMeasure(definitionID: definition, code: code, name: name, minimum: minimum, maximum: maximum)
            )
        default: nil
        }
    }
}
