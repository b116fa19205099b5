import ArgumentParser
import Foundation
import HavenService
import HavenStore

extension KeysCommand {
    /// `haven keys verify`.
    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "verify",
            abstract: "Open every sealed value and check every signed note; report what fails (no plaintext).",
            discussion: """
                Each signed note's content is checked against the hash stored when it was signed, and \
                that hash against the digest of the note's signing audit entry (so a note changed \
                together with its hash is caught too). Exits with status 1 when any value or note \
                fails, listing table, column, row id and reason.

                Example:
                  haven keys verify
                """
        )

        @OptionGroup var database: OwnerDatabaseOptions
        @OptionGroup var keys: MasterKeyOptions

        func run() async throws {
            let context = try await KeyContext.open(database: database, keys: keys)
            let report = try await context.manager.verify(pool: context.pool)
            let notes = try await NoteIntegrity.verifyAll(pool: context.pool, keys: context.manager)
            await context.pool.close()
            if report.failures.isEmpty {
                print("All \(report.checked) sealed values open.")
            } else {
                print(
                    TextTable(
                        header: ["TABLE", "COLUMN", "ROW", "REASON"],
                        rows: report.failures.map { [$0.table, $0.column, $0.rowID, $0.reason] }
                    ).render()
                )
                print("\(report.failures.count) of \(report.checked) sealed values failed to open.")
            }
            if notes.failures.isEmpty {
                print(
                    "All \(notes.checked) signed notes match what was signed "
                        + "(\(notes.matchedToChain) also against their signing audit entry)."
                )
            } else {
                print(
                    TextTable(
                        header: ["TABLE", "ROW", "REASON"],
                        rows: notes.failures.map { ["progress_notes", $0.noteID.uuidString.lowercased(), $0.reason] }
                    ).render()
                )
                print("\(notes.failures.count) of \(notes.checked) signed notes fail their check.")
            }
            if !report.failures.isEmpty || !notes.failures.isEmpty { throw ExitCode(1) }
        }
    }

    /// `haven keys shred`.
    struct Shred: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "shred",
            abstract: "Destroy a subject's data keys, making its sealed values unreadable forever.",
            discussion: """
                For retention expiry or lawful erasure. Asks you to type the subject again, unless \
                --yes is given. Recorded in key_events with ids only. The shred is complete once the \
                last backup holding the wrapped keys has expired (docs/encryption.md).

                Example:
                  haven keys shred --subject client:7c1e...
                """
        )

        @OptionGroup var database: OwnerDatabaseOptions
        @OptionGroup var keys: MasterKeyOptions

        @Option(help: ArgumentHelp("The subject, as kind:id.", valueName: "kind:id"))
        var subject: String

        @Flag(help: "Do not ask for confirmation.")
        var yes = false

        func validate() throws {
            if KeySubject(parsing: subject) == nil {
                throw ValidationError(
                    "--subject must be kind:id with kind one of couple, client, psychotherapy, staff, test"
                )
            }
        }

        func run() async throws {
            let target = KeySubject(parsing: subject)!
            if !yes {
                guard isatty(STDIN_FILENO) == 1 else {
                    throw UserError(message: "shredding cannot be undone; confirm with --yes when not at a terminal")
                }
                print("This destroys every key of \(target); its data can never be read again.")
                print("Type the subject to confirm: ", terminator: "")
                guard readLine() == target.description else {
                    throw UserError(message: "confirmation did not match; nothing was shredded")
                }
            }
            let context = try await KeyContext.open(database: database, keys: keys)
            let count = try await context.manager.shred(subject: target, pool: context.pool, source: KeyContext.source)
            await context.pool.close()
            print("Shredded \(count) data key\(count == 1 ? "" : "s") of \(target).")
        }
    }
}
