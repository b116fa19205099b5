import ArgumentParser
import Foundation

/// The `haven` command: the operator and counselor interface to Haven.
@main
struct Haven: AsyncParsableCommand {
    static let version = "0.1.0"

    static let configuration = CommandConfiguration(
        commandName: "haven",
        abstract: "Practice management for Emotionally Focused Couples Therapy.",
        discussion: """
            Commands are `haven <noun> <verb>`; ids are UUIDs or unambiguous prefixes of 8+ hex digits, and \
            read commands take --json. Clinical commands act as the staff member signed in with `haven \
            login` (HAVEN_URL names the server): each is a call to `haven serve`, with no database \
            password or master key on your machine. Operator commands (practice, staff, audit, db, keys, \
            demo, measure define) run on the server host with the owner URL in HAVEN_OWNER_DATABASE_URL \
            and the master key (HAVEN_MASTER_KEY_FILE); `haven serve` uses HAVEN_DATABASE_URL (haven_app). \
            `scripts/start` starts a private database and the server, and prints them all.

            Exit status: 0 success, 1 a problem with the input, 2 a problem with the system.

            Documentation: docs/ (architecture, CLI reference, encryption, security, operations).
            """,
        version: version,
        subcommands: [
            LoginCommand.self, LogoutCommand.self, WhoamiCommand.self, TodayCommand.self, ClientCommand.self,
            CoupleCommand.self,
            SessionCommand.self, NoteCommand.self, HomeworkCommand.self, MeasureCommand.self, InjuryCommand.self,
            CycleCommand.self, GoalCommand.self, ReportCommand.self, ValuesCommand.self, ExportCommand.self,
            BreakGlassCommand.self,
            TOTPCommand.self,
            AuditCommand.self,
            PracticeCommand.self,
            StaffCommand.self, ServeCommand.self, NotifyCommand.self, DemoCommand.self, DatabaseCommand.self,
            KeysCommand.self,
        ]
    )

    /// Parses the command line, runs the command, and maps failures to one line on stderr and an exit
    /// status: 0 success, 1 user error, 2 system error. Every way out is `ProcessEnd.exit`.
    static func main() async {
        #if DEBUG
        let unnamed = CommandNames.unnamed(under: Haven.self)
        precondition(unnamed.isEmpty, "a command without a commandName: \(unnamed.joined(separator: ", "))")
        #endif
        // An unknown noun or verb is an error before anything else, `--help` after it included
        // (ArgumentParser would print the parent's help and exit 0).
        if let message = CommandSuggestion.message(for: Array(CommandLine.arguments.dropFirst())) {
            FileHandle.standardError.write(Data("haven: \(message)\n".utf8))
            ProcessEnd.exit(1)
        }
        let command: ParsableCommand
        do {
            command = try parseAsRoot()
        } catch {
            ProcessEnd.exit(ErrorReport(error).emit())
        }
        do {
            var command = command
            if var asyncCommand = command as? AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            ProcessEnd.exit(ErrorReport(error).emit())
        }
        ProcessEnd.exit(0)
    }
}
