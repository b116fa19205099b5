import ArgumentParser
import Foundation
import HavenStore
import Logging

extension AuditCommand {
    /// `haven audit checkpoint`.
    struct Checkpoint: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "checkpoint",
            abstract: "Write the chain head, authenticated with the master key, to a file you keep off-site.",
            discussion: """
                Verifies the practice's chain, then writes its head (seq, hash, time, practice) with an \
                HMAC-SHA-256 under a key derived from the master key to FILE (replacing it), and logs \
                the same line at notice. Keep the files where the database's administrators cannot \
                write; 'haven audit verify --checkpoint FILE' then catches deleted tail entries and \
                rewritten chains. Format: docs/security.md; a routine: docs/operations.md.

                Example:
                  haven audit checkpoint --out /secure/offsite/haven-audit-$(date +%F).json
                """
        )

        @OptionGroup var database: OwnerDatabaseOptions
        @OptionGroup var practice: StaffCommand.PracticeOption
        @OptionGroup var keys: MasterKeyOptions

        @Option(help: ArgumentHelp("Where to write the checkpoint (replaced if it exists).", valueName: "file"))
        var out: String

        func run() async throws {
            let checkpoint = try await KeyContext.with(database: database, keys: keys) { context in
                let practiceID = try await Operator(pool: context.pool).practice(practice.practice)
                do {
                    return try await context.pool.withConnection {
                        try await AuditCheckpoint.take(practiceID: practiceID, ring: context.manager.ring, on: $0)
                    }
                } catch let error as AuditCheckpointError {
                    throw UserError(message: error.description)
                }
            }
            do {
                try checkpoint.fileData().write(to: URL(fileURLWithPath: out), options: .atomic)
            } catch {
                throw UserError(message: "--out: cannot write \(out) (check that its directory exists and is writable)")
            }
            CommandLogging.logger(minimum: .notice).notice(
                "audit checkpoint",
                metadata: [
                    "audit.practice": "\(checkpoint.practiceID.uuidString.lowercased())",
                    "audit.seq": "\(checkpoint.seq)",
                    "audit.hash": "\(checkpoint.hash)",
                    "audit.taken_at": "\(checkpoint.takenAt)",
                    "audit.master_key_version": "\(checkpoint.masterKeyVersion)",
                    "audit.mac": "\(checkpoint.mac)",
                ]
            )
            print("Checkpoint of seq \(checkpoint.seq) written to \(out).")
        }
    }
}
