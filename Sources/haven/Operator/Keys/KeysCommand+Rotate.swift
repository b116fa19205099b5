import ArgumentParser
import Foundation
import HavenService
import HavenStore

extension KeysCommand {
    /// `haven keys rotate-master`.
    struct RotateMaster: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "rotate-master",
            abstract: "Add a new master key version and rewrap every data key under it.",
            discussion: """
                Adds version N+1 to the key file (keeping the old versions), rewraps every data key in \
                batches, then raises the minimum version. No clinical row is touched and the service \
                keeps running. If interrupted, run it again: it finishes the same rotation instead of \
                starting another. Then give every host the updated key file and restart Haven there: until \
                it restarts, a process opens only the data keys it already holds in memory.

                Example:
                  haven keys rotate-master --key-file /etc/haven/master.key
                """
        )

        @OptionGroup var database: OwnerDatabaseOptions
        @OptionGroup var keys: MasterKeyOptions

        func run() async throws {
            guard let path = keys.path else {
                throw UserError(message: "rotate-master needs the key file: --key-file PATH or HAVEN_MASTER_KEY_FILE")
            }
            var ring = try keys.load()
            let check = try await KeyContext.open(database: database, keys: keys, ring: ring)
            let status = try await check.manager.status(pool: check.pool)
            await check.pool.close()
            let unfinished = status.dataKeys.contains {
                $0.state != "shredded" && ($0.masterKeyVersion ?? ring.currentVersion) < ring.currentVersion
            }
            if unfinished || status.minimumMasterKeyVersion < ring.currentVersion {
                print("Finishing the rotation to master key version \(ring.currentVersion).")
            } else {
                ring = try ring.addingNewVersion()
                try KeyFile.write(ring, to: path, replacing: true)
                print("Added master key version \(ring.currentVersion) to \(path).")
            }
            let context = try await KeyContext.open(database: database, keys: keys, ring: ring)
            let rewrapped = try await context.manager.rotateMaster(pool: context.pool, source: KeyContext.source)
            await context.pool.close()
            print("Rewrapped \(rewrapped) data keys; master key version \(ring.currentVersion) is now the minimum.")
        }
    }

    /// `haven keys rotate-data`.
    struct RotateData: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "rotate-data",
            abstract: "Give subjects new data keys and re-encrypt their values.",
            discussion: """
                Online and resumable: runs in batches, each its own transaction, while the service \
                keeps writing; if killed at any point, run it again to finish, with nothing lost or \
                unreadable in between. Signed notes and addenda are re-encrypted too (their content \
                never changes). A subject that fails is named (subject, table, column, row) and the run \
                goes on with the others; exit status 2 if any subject failed, 1 if a value could not be \
                opened. 'haven keys status' shows what is left. An --all run that was killed or had \
                failures is resumed by the next --all run: subjects it already re-keyed are not rotated \
                again.

                Examples:
                  haven keys rotate-data --subject couple:3f2a91c0-...
                  haven keys rotate-data --all
                """
        )

        @OptionGroup var database: OwnerDatabaseOptions
        @OptionGroup var keys: MasterKeyOptions

        @Option(
            help: ArgumentHelp(
                "The subject, as kind:id (couple, client, psychotherapy, staff, test).",
                valueName: "kind:id"
            )
        )
        var subject: String?

        @Flag(help: "Rotate every subject's key.")
        var all = false

        @Option(help: "Values per transaction.")
        var batchSize = 200

        func validate() throws {
            guard (subject == nil) != !all else {
                throw ValidationError("give exactly one of --subject kind:id or --all")
            }
            if let subject, KeySubject(parsing: subject) == nil {
                throw ValidationError(
                    "--subject must be kind:id with kind one of couple, client, psychotherapy, staff, test"
                )
            }
            guard (1...10_000).contains(batchSize) else { throw ValidationError("--batch-size must be 1...10000") }
        }

        func run() async throws {
            let context = try await KeyContext.open(database: database, keys: keys)
            let report = try await context.manager.rotateData(
                subject: subject.flatMap(KeySubject.init(parsing:)),
                pool: context.pool,
                batchSize: batchSize,
                source: KeyContext.source
            )
            await context.pool.close()
            print(
                "New data keys: \(report.newKeys). Values re-encrypted: \(report.reencrypted)"
                    + (report.skipped > 0 ? " (\(report.skipped) already rewritten by the service)." : ".")
            )
            if report.alreadyRotated > 0 {
                print("Resumed an unfinished run: \(report.alreadyRotated) subjects already had their new key.")
            }
            for value in report.unreadableValues {
                FileHandle.standardError.write(Data("haven: could not open \(value); left as it is\n".utf8))
            }
            for failure in report.failedSubjects {
                FileHandle.standardError.write(Data("haven: rotation of \(failure); the subject stays pending\n".utf8))
            }
            if !report.failedSubjects.isEmpty {
                print(
                    "\(report.failedSubjects.count) subjects could not be rotated (listed above); their values still open "
                        + "under their retired keys. Fix the cause, then run 'haven keys rotate-data' again; "
                        + "'haven keys status' shows what is left."
                )
                throw ExitCode(2)
            }
            if report.unreadable > 0 {
                print(
                    "\(report.unreadable) values could not be opened and were left as they are; run 'haven keys verify'."
                )
                throw ExitCode(1)
            }
        }
    }
}
