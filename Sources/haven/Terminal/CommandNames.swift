import ArgumentParser

/// Every command's name is written in its configuration.
///
/// ArgumentParser derives a missing `commandName` from the type's name with `String(describing:)`,
/// whose dynamic casts scan every protocol conformance of every loaded library the first time they
/// see a type: with a hundred commands that was ~40% of `haven --version`'s cold start (perf,
/// docs/benchmarks.md). The command tree is built on every run, so a name left out slows every
/// command; debug builds (the ones the tests run) stop on one.
enum CommandNames {
    /// The commands under `root`, at any depth, whose configuration names no `commandName`.
    static func unnamed(under root: ParsableCommand.Type) -> [String] {
        var missing: [String] = []
        var pending: [(ParsableCommand.Type, String)] = [(root, root.configuration.commandName ?? "?")]
        while let (command, path) = pending.popLast() {
            for subcommand in command.configuration.subcommands {
                let name = subcommand.configuration.commandName
                if name == nil { missing.append("\(path) \(subcommand._commandName)") }
                pending.append((subcommand, "\(path) \(name ?? subcommand._commandName)"))
            }
        }
        return missing.sorted()
    }
}
