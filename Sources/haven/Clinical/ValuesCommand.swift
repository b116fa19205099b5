import ArgumentParser
import HavenCore

/// `haven values [KIND]`: the values a flag accepts (interventions, Tango moves, change events,
/// statuses, ...), from HavenCore's own enums; no server needed.
struct ValuesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "values",
        abstract: "List the allowed values of a kind (interventions, tango-moves, change-events, ...).",
        discussion: """
            Without KIND, lists every kind with its values.

            Example:
              haven values interventions
              haven values
            """
    )

    /// Every kind, by the name `haven values` takes, with its values as the API and flags take them.
    static let kinds: [(name: String, values: [String])] = [
        ("interventions", Intervention.allCases.map(\.rawValue)),
        ("tango-moves", TangoMove.allCases.map(\.rawValue)),
        ("change-events", ChangeEvent.allCases.map(\.rawValue)),
        ("risk-levels", RiskLevel.allCases.map(\.rawValue)),
        ("session-statuses", SessionStatus.allCases.map(\.rawValue)),
        ("session-formats", SessionFormat.allCases.map(\.rawValue)),
        ("homework-categories", HomeworkCategory.allCases.map(\.rawValue)),
        ("homework-frequencies", HomeworkFrequency.allCases.map(\.rawValue)),
        ("cycle-patterns", CyclePattern.allCases.map(\.rawValue)),
        ("cycle-positions", CyclePosition.allCases.map(\.rawValue)),
        ("injury-statuses", InjuryStatus.allCases.map(\.rawValue)),
        ("attachment-styles", AttachmentStyle.allCases.map(\.rawValue)),
        ("care-statuses", CareStatus.allCases.map(\.rawValue)),
    ]

    @Argument(help: "The kind: \(kinds.map(\.name).joined(separator: ", ")).") var kind: String?

    func run() throws {
        guard let kind else {
            print(Self.kinds.map { "\($0.name): \($0.values.joined(separator: ", "))" }.joined(separator: "\n"))
            return
        }
        guard let found = Self.kinds.first(where: { $0.name == kind }) else {
            throw unknownValue(kind, option: "KIND", kind: "a kind of value", allowed: Self.kinds.map(\.name))
        }
        print(found.values.joined(separator: "\n"))
    }
}

/// Parses a typed value of a clinical enum; an unknown one is refused naming `option`, repeating the
/// value, with "did you mean" and the allowed values.
func parseValue<Value: ClinicalEnum>(_ text: String, option: String, kind: String) throws -> Value {
    guard let value = Value(rawValue: text) else {
        throw unknownValue(text, option: option, kind: kind, allowed: Value.allCases.map(\.rawValue))
    }
    return value
}

/// "a, b, c" for a flag's help text.
func allowedValues<Value: ClinicalEnum>(_: Value.Type) -> String {
    Value.allCases.map(\.rawValue).joined(separator: ", ")
}
