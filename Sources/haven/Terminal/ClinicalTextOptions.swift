import ArgumentParser
import Foundation
import HavenService

// Clinical text beside a command's main text (a reason, a risk detail) comes through the same
// mechanism as note bodies (`TextInputOptions.read`): a file its own `--…-file` flag names ('-' for
// stdin), else stdin or $EDITOR where the command allows. Never a flag's value: any local user reads
// a process's arguments in /proc/<pid>/cmdline (and `ps`), and shells keep them in their history.

extension TextInputOptions {
    /// Whether `read(file:forceEditor:...)` with these arguments takes its text from stdin.
    static func readsStandardInput(file: String?, forceEditor: Bool = false) -> Bool {
        file == "-" || (file == nil && !forceEditor && isatty(STDIN_FILENO) == 0)
    }

    /// Whether this command's main text comes from stdin.
    var readsStandardInput: Bool { Self.readsStandardInput(file: file, forceEditor: forceEditor) }

    /// Refuses clinical text given as the value of `flag` (a hidden option kept only to say so),
    /// without echoing it.
    static func refuseOnCommandLine(_ value: String?, flag: String, instead: String) throws {
        guard value != nil else { return }
        throw UserError(
            message:
                "\(flag): clinical text is not taken on the command line, where other local users can read it; use \(instead)"
        )
    }
}

/// `--reason-file PATH|-` for a reason (an addendum's, a break-glass grant's); without it, the
/// reason comes from stdin, or from $EDITOR at a terminal.
struct ReasonOptions: ParsableArguments {
    @Option(
        name: .customLong("reason-file"),
        help: ArgumentHelp(
            "Read the reason (sealed) from a file ('-' for stdin); default stdin, or $EDITOR at a terminal.",
            valueName: "path"
        )
    )
    var file: String?

    @Option(name: .customLong("reason"), help: .private) var inline: String?

    /// Refuses `--reason TEXT`; call before reading anything.
    func refuseOnCommandLine() throws {
        try TextInputOptions.refuseOnCommandLine(
            inline,
            flag: "--reason",
            instead: "--reason-file PATH ('-' for stdin)"
        )
    }

    /// Reads the reason; `main` is the command's other text, if any, which may not also take stdin.
    func read(template: String, besides main: TextInputOptions? = nil) throws -> String {
        let forceEditor = main?.forceEditor ?? false
        if let main, main.readsStandardInput,
            TextInputOptions.readsStandardInput(file: file, forceEditor: forceEditor)
        {
            throw UserError(
                message:
                    "--reason-file: the text already comes from stdin; give the reason in a file (--reason-file PATH)"
            )
        }
        return try TextInputOptions.read(file: file, forceEditor: forceEditor, template: template, what: "reason")
    }
}

/// `--risk-override-reason-file PATH|-`: why a joint exercise or a conjoint session goes ahead despite
/// an open high-risk flag (sealed, audited).
struct RiskOverrideOptions: ParsableArguments {
    @Option(
        name: .customLong("risk-override-reason-file"),
        help: ArgumentHelp(
            "Read why it goes ahead despite an open high-risk flag (sealed, audited) from a file ('-' for stdin).",
            valueName: "path"
        )
    )
    var file: String?

    @Option(name: .customLong("risk-override-reason"), help: .private) var inline: String?

    /// The override reason, if a file was named; refuses `--risk-override-reason TEXT`.
    func read() throws -> String? {
        try TextInputOptions.refuseOnCommandLine(
            inline,
            flag: "--risk-override-reason",
            instead: "--risk-override-reason-file PATH ('-' for stdin)"
        )
        guard let file else { return nil }
        return try TextInputOptions.read(file: file, template: "", what: "risk override reason")
    }

    /// Runs `body`, naming this flag when the server asks for the override reason (or refuses it).
    func namingTheFlag<Value>(_ body: () async throws -> Value) async throws -> Value {
        do {
            return try await body()
        } catch let failure as APIFailure where failure.field == "riskOverrideReason" {
            throw UserError(
                message: "--risk-override-reason-file: \(failure.detail); give it in a file ('-' for stdin)",
                status: failure.exitStatus
            )
        }
    }
}
