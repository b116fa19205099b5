import ArgumentParser

/// "Did you mean" for mistyped nouns and verbs (ArgumentParser already suggests options).
enum CommandSuggestion {
    /// A message naming the closest command, when `arguments` go astray among subcommands.
    static func message(for arguments: [String]) -> String? {
        var command: ParsableCommand.Type = Haven.self
        var path = ["haven"]
        for argument in arguments {
            let subcommands = command.configuration.subcommands
            guard !subcommands.isEmpty, !argument.hasPrefix("-"), argument != "help" else { return nil }
            if let next = subcommands.first(where: { $0._commandName == argument }) {
                command = next
                path.append(argument)
                continue
            }
            let names = subcommands.map { $0._commandName }
            let closest = names.min { distance(argument, $0) < distance(argument, $1) } ?? ""
            let hint = distance(argument, closest) <= max(2, closest.count / 3) ? "did you mean '\(closest)'? " : ""
            return "unknown command '\(argument)' for '\(path.joined(separator: " "))'; \(hint)"
                + "one of: \(names.joined(separator: ", "))"
        }
        return nil
    }

    /// Levenshtein distance.
    static func distance(_ a: String, _ b: String) -> Int {
        let a = Array(a)
        let b = Array(b)
        if a.isEmpty { return b.count }
        var previous = Array(0...b.count)
        for i in 1...a.count {
            var current = [i] + Array(repeating: 0, count: b.count)
            for j in stride(from: 1, through: b.count, by: 1) {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            previous = current
        }
        return previous[b.count]
    }
}
