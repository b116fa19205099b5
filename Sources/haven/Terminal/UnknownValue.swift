/// The one wording for a value that is not among a flag's allowed values: names the flag, repeats
/// the value, suggests the closest allowed one when it is near, and lists them all.
///
/// - Parameters:
///   - value: what the user typed (repeated up to 100 characters).
///   - option: the flag as the user typed it (`--action`).
///   - kind: what the values are, for the message (`an audit action`).
///   - allowed: every allowed value, from the catalogue that defines them.
func unknownValue(_ value: String, option: String, kind: String, allowed: [String]) -> UserError {
    let closest = allowed.min { CommandSuggestion.distance(value, $0) < CommandSuggestion.distance(value, $1) }
    let hint =
        closest.flatMap {
            CommandSuggestion.distance(value, $0) <= max(2, $0.count / 3) ? "did you mean '\($0)'? " : nil
        } ?? ""
    return UserError(
        message: "\(option): '\(value.prefix(100))' is not \(kind); \(hint)one of: \(allowed.joined(separator: ", "))"
    )
}
