import ArgumentParser
import Foundation

/// Where clinical text comes from: `--file PATH` (`-` for stdin); else `$VISUAL`/`$EDITOR` on a
/// temporary file, as `git commit` does, when stdin is a terminal or `--edit` is given; else stdin.
struct TextInputOptions: ParsableArguments {
    @Option(
        name: .customLong("file"),
        help: ArgumentHelp("Read the text from a file ('-' for stdin).", valueName: "path")
    )
    var file: String?

    @Flag(name: .customLong("edit"), help: "Write the text in $EDITOR even when stdin is not a terminal.")
    var forceEditor = false

    /// Reads the text; `template` is what the editor starts with (lines starting `#` are dropped).
    func read(template: String, what: String) throws -> String {
        try Self.read(file: file, forceEditor: forceEditor, template: template, what: what)
    }

    /// Reads text from `file` (`-` for stdin), or the editor, or stdin, as the options describe.
    static func read(file: String?, forceEditor: Bool = false, template: String, what: String) throws -> String {
        let text: String
        if let file {
            if file == "-" {
                text = String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self)
            } else {
                guard let data = FileManager.default.contents(atPath: file) else {
                    throw UserError(message: "--file: cannot read \(file)")
                }
                text = String(decoding: data, as: UTF8.self)
            }
        } else if !forceEditor && isatty(STDIN_FILENO) == 0 {
            text = String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self)
        } else {
            text = try edit(template: template)
        }
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmed.isEmpty else {
            throw UserError(message: "the \(what) is empty; nothing was written")
        }
        return trimmed
    }

    /// Opens the user's editor on a private temporary file and returns what they saved, without the
    /// `#` comment lines.
    static func edit(template: String) throws -> String {
        let environment = ProcessInfo.processInfo.environment
        let editor = [environment["VISUAL"], environment["EDITOR"]].compactMap { $0 }.first { !$0.isEmpty } ?? "vi"
        // In the private config directory (0700), not the shared $TMPDIR: if haven is killed before it
        // cleans up, the text stays where only its owner can read it.
        let url = try SessionFile.privateDirectory().appendingPathComponent("editing")
            .appendingPathComponent("haven-\(UUID().uuidString).txt")
        try PrivateFile.write(Data(template.utf8), to: url)
        defer { try? FileManager.default.removeItem(at: url) }
        // The path is passed as an argument, never spliced into the shell text.
        guard let status = runAndWait("/bin/sh", ["-c", "\(editor) \"$1\"", "haven-editor", url.path]) else {
            throw UserError(message: "cannot start the editor '\(editor)'; set EDITOR or use --file")
        }
        guard status == 0 else {
            throw UserError(message: "the editor exited with status \(status); nothing was written")
        }
        let saved = String(decoding: FileManager.default.contents(atPath: url.path) ?? Data(), as: UTF8.self)
        return saved.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline)
            .filter { !$0.hasPrefix("#") }
            .joined(separator: "\n")
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }
}

/// Keeps text whose write failed, so nothing a counselor typed is lost.
enum KeptText {
    /// Saves `text` under the config directory's `unsaved/` with mode 0600 and returns the path.
    static func keep(_ text: String, kind: String) -> String? {
        let stamp = ISO8601DateFormatter().string(from: Date()).replacingOccurrences(of: ":", with: "")
        guard let directory = try? SessionFile.privateDirectory() else { return nil }
        let url = directory.appendingPathComponent("unsaved")
            .appendingPathComponent("\(kind)-\(stamp)-\(UUID().uuidString.prefix(8)).txt")
        do {
            try PrivateFile.write(Data(text.utf8), to: url)
            return url.path
        } catch {
            return nil
        }
    }

    /// Runs `write`; when it fails, keeps `text` and rethrows with where it was kept.
    static func guarding<Value>(_ text: String, kind: String, _ write: () async throws -> Value) async throws -> Value {
        do {
            return try await write()
        } catch {
            guard let path = keep(text, kind: kind) else { throw error }
            throw KeptTextError(underlying: error, path: path)
        }
    }
}

/// Runs a program attached to this terminal and waits for it; nil when it cannot start.
func runAndWait(_ path: String, _ arguments: [String]) -> Int32? {
    var pid: pid_t = 0
    let argv = ([path] + arguments).map { strdup($0) } + [nil]
    defer { for pointer in argv { free(pointer) } }
    guard posix_spawn(&pid, path, nil, nil, argv, environ) == 0 else { return nil }
    var status: Int32 = 0
    while waitpid(pid, &status, 0) < 0 {
        guard errno == EINTR else { return nil }
    }
    // WIFEXITED / WEXITSTATUS, which Swift does not import as functions.
    return (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
}
