import Foundation

/// ArgumentParser's own usage errors in Haven's one style: a single `haven: ...` line that names the
/// flag as typed, repeats a bad value, suggests the closest flag for a mistyped one, says what the
/// flag takes, and points at the command's `--help` — instead of ArgumentParser's `Error:`, `Help:`
/// and `Usage:` block.
enum ParseErrorWording {
    /// The line for ArgumentParser's full message `text` (its `Error:`, `Help:`, `Usage:` and `See`
    /// lines) about the command line `arguments` (without the program name); nil when `text` is not
    /// such a message.
    static func line(for text: String, arguments: [String]) -> String? {
        let lines = text.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
        guard let error = lines.first(where: { $0.hasPrefix("Error: ") })?.dropFirst("Error: ".count) else {
            return nil
        }
        let help = lines.first { $0.hasPrefix("Help: ") }.map { helpText(String($0.dropFirst("Help: ".count))) }
        let usage = lines.first { $0.hasPrefix("Usage: ") } ?? ""
        let seeHelp = lines.first { $0.hasPrefix("See '") }.flatMap { $0.split(separator: "'").dropFirst().first }
        let known = Set(flags(in: usage) + ["--help", "-h", "--version"])
        let what: String
        if let unknown = unknownFlag(in: arguments, known: known, usage: usage) {
            let closest = known.filter { $0.hasPrefix("--") }.min {
                CommandSuggestion.distance(unknown, $0) < CommandSuggestion.distance(unknown, $1)
            }
            let near = closest.map { CommandSuggestion.distance(unknown, $0) <= max(2, $0.count / 3) } ?? false
            what = "unknown option '\(unknown.prefix(60))'" + (near ? " (did you mean \(closest!)?)" : "")
        } else if error.hasPrefix("Missing expected argument"), let flag = quoted(in: error, at: 0) {
            what = "missing \(flag)" + (help.map { " (\($0))" } ?? "")
        } else if error.hasPrefix("The value '"), let value = quoted(in: error, at: 0, whole: true),
            let flag = quoted(in: error, at: 1)
        {
            what =
                "\(flag): '\(value.prefix(100))' is not valid"
                + (help.map { "; " + $0.prefix(1).lowercased() + $0.dropFirst() } ?? "")
        } else {
            what = error.prefix(1).lowercased() + error.dropFirst()
        }
        return what + (seeHelp.map { "; see '\($0)'" } ?? "")
    }

    /// The `index`th quoted part of `error`: its first word (`--at` from `'--at <at>'`, and an
    /// argument `<id>` as `ID`), or all of it when `whole`.
    private static func quoted(in error: Substring, at index: Int, whole: Bool = false) -> String? {
        let parts = error.split(separator: "'", omittingEmptySubsequences: false)
        guard parts.count > 2 * index + 1 else { return nil }
        let part = parts[2 * index + 1]
        if whole { return String(part) }
        guard let word = part.split(separator: " ").first else { return nil }
        return word.hasPrefix("<")
            ? word.trimmingCharacters(in: CharacterSet(charactersIn: "<>")).uppercased() : String(word)
    }

    /// The explanation from a `Help:` line (`--at <at>  Start, ISO 8601 ...`): the text after the flag.
    private static func helpText(_ line: String) -> String {
        let text = line.range(of: "  ").map { line[$0.upperBound...] } ?? line[...]
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        return trimmed.hasSuffix(".") ? String(trimmed.dropLast()) : trimmed
    }

    /// Every `--flag` a usage line names.
    private static func flags(in usage: String) -> [String] {
        usage.split(whereSeparator: { " []|<>()".contains($0) }).map(String.init).filter { $0.hasPrefix("--") }
    }

    /// The first `--flag` on the command line that the usage does not name (before a bare `--`).
    private static func unknownFlag(in arguments: [String], known: Set<String>, usage: String) -> String? {
        guard !usage.isEmpty else { return nil }
        for argument in arguments {
            if argument == "--" { return nil }
            guard argument.hasPrefix("--") else { continue }
            let name = String(argument.split(separator: "=", maxSplits: 1)[0])
            if !known.contains(name) { return name }
        }
        return nil
    }
}
