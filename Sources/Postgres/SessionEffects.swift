/// Whether a statement may leave state behind in the session (beyond its transaction), so that the
/// pool must reset the connection before someone else uses it.
///
/// Transaction-local settings (`SET LOCAL`, `set_config(name, value, true)`) and transaction-scoped
/// advisory locks are not session state. Anything this check cannot prove harmless counts as state.
func statementMayChangeSession(_ sql: String) -> Bool {
    let lowered = sql.lowercased()
    let words = lowered.split(whereSeparator: { $0.isWhitespace || $0 == ";" })
    if let first = words.first {
        switch first {
        case "set":
            if words.count > 1, words[1] == "local" || words[1] == "transaction" { break }
            return true
        case "reset", "listen", "prepare", "declare", "load", "discard":
            return true
        case "create":
            if words.count > 1, ["temp", "temporary"].contains(words[1]) { return true }
        default:
            break
        }
    }
    if lowered.contains("pg_advisory_lock") || lowered.contains("pg_try_advisory_lock") { return true }
    if lowered.contains("temp table") || lowered.contains("temporary table") { return true }
    var searchStart = lowered.startIndex
    while let range = lowered.range(of: "set_config", range: searchStart..<lowered.endIndex) {
        searchStart = range.upperBound
        guard let arguments = parenthesizedArguments(in: lowered, from: range.upperBound),
            arguments.count == 3,
            arguments[2].trimmingWhitespace() == "true"
        else { return true }
    }
    return false
}

/// The top-level comma-separated arguments of the parenthesized list starting at `index`.
private func parenthesizedArguments(in text: String, from index: String.Index) -> [String]? {
    var position = index
    while position < text.endIndex, text[position].isWhitespace { position = text.index(after: position) }
    guard position < text.endIndex, text[position] == "(" else { return nil }
    var depth = 0
    var quoted = false
    var current = ""
    var arguments: [String] = []
    for character in text[position...] {
        if character == "'" { quoted.toggle() }
        if !quoted {
            if character == "(" {
                depth += 1
                if depth == 1 { continue }
            } else if character == ")" {
                depth -= 1
                if depth == 0 {
                    arguments.append(current)
                    return arguments
                }
            } else if character == ",", depth == 1 {
                arguments.append(current)
                current = ""
                continue
            }
        }
        current.append(character)
    }
    return nil
}
