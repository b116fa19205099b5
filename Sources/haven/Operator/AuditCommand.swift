import ArgumentParser
import Foundation
import HavenService
import HavenStore
import Postgres
import Sealing

/// `haven audit`: the hash-chained audit log (operators, owner database URL).
struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "List and verify the audit log; export and check its head (operators).",
        subcommands: [List.self, Verify.self, Head.self, Checkpoint.self]
    )

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "list",
            abstract: "List audit entries, newest first, by client, staff, action, outcome and any date range.",
            discussion: """
                Newest first, at most --limit entries (the latest); --oldest-first starts from the \
                beginning of the range instead, and --tail N prints the latest N oldest to newest, as \
                tail does.

                --from and --to take a date (2026-12-01: the start of that day in the practice's time \
                zone) or a date and time in ISO 8601 (practice time unless an offset or Z is given). \
                --to is exclusive: --to 2026-12-05 means before 5 December. --today is from the start \
                of today to the start of tomorrow, practice time.

                An --action outside the audit catalogue is refused, with the closest and the list.

                Example:
                  haven audit list --today
                  haven audit list --client 3f2a91c0 --from 2026-01-01 --to 2026-02-01
                  haven audit list --tail 20
                  haven audit list --break-glass --json
                  haven audit list --outcome denied --action note.read
                """
        )

        @OptionGroup var database: OwnerDatabaseOptions
        @OptionGroup var practice: StaffCommand.PracticeOption
        @OptionGroup var output: OutputOptions
        @Option(help: "Entries naming this client (id or prefix).") var client: String?
        @Option(help: "Entries by this staff member (id or prefix).") var staff: String?
        @Option(help: "Entries with this action (e.g. note.read; one of the audit catalogue's).") var action: String?
        @Option(help: "success, denied or failed.") var outcome: String?
        @Option(help: ArgumentHelp("From this date (its start) or instant, inclusive.", valueName: "when"))
        var from: String?
        @Option(help: ArgumentHelp("Before this date (its start) or instant: exclusive.", valueName: "when"))
        var to: String?
        @Flag(help: "Only today's entries (practice time); not with --from or --to.") var today = false
        @Flag(help: "Only entries made under break-glass access.") var breakGlass = false
        @Option(help: ArgumentHelp("At most this many entries (default 1000).", valueName: "n")) var limit: Int?
        @Flag(help: "Oldest first: the first --limit entries of the range.") var oldestFirst = false
        @Option(
            help: ArgumentHelp(
                "The latest N entries, printed oldest to newest; not with --limit or --oldest-first.",
                valueName: "n"
            )
        )
        var tail: Int?

        func run() async throws {
            let outcome = try self.outcome.map { text in
                guard let value = AuditEntry.Outcome(rawValue: text) else {
                    throw UserError(message: "--outcome: '\(text)' is not one of: success, denied, failed")
                }
                return value
            }
            if let action, AuditEvent.Action(rawValue: action) == nil {
                throw unknownValue(
                    action,
                    option: "--action",
                    kind: "an audit action",
                    allowed: AuditEvent.Action.allCases.map(\.rawValue)
                )
            }
            if today, from != nil || to != nil {
                throw UserError(message: "--today: give either --today or --from/--to, not both")
            }
            if tail != nil, limit != nil || oldestFirst {
                throw UserError(message: "--tail: give either --tail N or --limit/--oldest-first, not both")
            }
            let limit = tail ?? self.limit ?? 1_000
            guard (1...100_000).contains(limit) else {
                throw UserError(message: "\(tail == nil ? "--limit" : "--tail"): \(limit) is not from 1 to 100000")
            }
            try await Operator.with(database) { op in
                let practiceID = try await op.practice(practice.practice)
                let zone = try await StaffService(pool: op.pool).practices().first { $0.id == practiceID }?.timeZone
                let style = DateStyle(timeZoneName: zone ?? "UTC")
                let range = today ? style.todayRange() : nil
                let clientID = try await client.asyncMap { try await op.client($0, practice: practiceID) }
                let filter = AuditStore.Filter(
                    practiceID: practiceID,
                    clientID: clientID,
                    staffID: try await staff.asyncMap { try await op.staff($0, practice: practiceID) },
                    action: action,
                    from: try range?.from ?? from.map { try style.parseInstant($0, option: "--from") },
                    to: try range?.to ?? to.map { try style.parseInstant($0, option: "--to") },
                    breakGlassOnly: breakGlass,
                    outcome: outcome,
                    limit: limit,
                    order: oldestFirst ? .oldestFirst : .newestFirst
                )
                let found = try await op.pool.withConnection { try await AuditStore.list(filter, on: $0) }
                let entries = tail == nil ? found : Array(found.reversed())
                // Staff by name in the table (ids stay in --json): the practice's directory, one query.
                let names =
                    output.json
                    ? [:]
                    : Dictionary(
                        try await StaffService(pool: op.pool).staff(practiceID: practiceID).map {
                            ($0.id, $0.displayName)
                        },
                        uniquingKeysWith: { first, _ in first }
                    )
                try output.emit(entries) {
                    guard !entries.isEmpty else { return "No entries match." }
                    return TextTable(
                        header: ["SEQ", "WHEN", "STAFF", "ACTION", "ENTITY", "CLIENTS", "OUTCOME", "SOURCE"],
                        rows: entries.map {
                            [
                                "\($0.seq)", style.dateTime($0.entry.occurredAt),
                                ($0.entry.staffID.map { names[$0] ?? short($0) } ?? "operator")
                                    + ($0.entry.breakGlass ? " BREAK-GLASS" : ""),
                                $0.entry.action,
                                [$0.entry.entityType, $0.entry.entityID.map(short)].compactMap { $0 }.joined(
                                    separator: " "
                                ),
                                $0.entry.clientIDs.map(short).joined(separator: ","), $0.entry.outcome.rawValue,
                                $0.entry.source,
                            ]
                        }
                    ).render()
                }
            }
        }
    }

    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "verify",
            abstract: "Check the practice's hash chain; name the first broken link.",
            discussion: """
                With --checkpoint FILE (written by 'haven audit checkpoint'), also checks the file's MAC \
                with the master key and that the chain still holds the head it records: entries deleted \
                from the end, or a chain rewritten with every hash recomputed, fail. The practice is \
                the checkpoint's unless --practice names it. Entries written pending (the practice's \
                chain lock was busy) get their place first; run it from cron where no 'haven serve' \
                chains them (docs/security.md).

                Exit status 0 when intact, 2 when broken (or the checkpoint is not authentic).

                Example:
                  haven audit verify
                  haven audit verify --checkpoint /secure/offsite/haven-audit-2026-12-01.json
                """
        )

        @OptionGroup var database: OwnerDatabaseOptions
        @OptionGroup var practice: StaffCommand.PracticeOption
        @OptionGroup var keys: MasterKeyOptions

        @Option(
            help: ArgumentHelp(
                "A checkpoint file from 'haven audit checkpoint' to check the chain against.",
                valueName: "file"
            )
        )
        var checkpoint: String?

        func run() async throws {
            if let checkpoint {
                try await verify(against: checkpoint)
                return
            }
            try await Operator.with(database) { op in
                let practiceID = try await op.practice(practice.practice)
                let result = try await op.pool.withConnection {
                    try await AuditStore.verify(practiceID: practiceID, on: $0)
                }
                if let broken = result.firstBreak {
                    standardError("haven: the audit chain is broken: \(broken)")
                    throw ExitCode(2)
                }
                let head = result.head.map {
                    "head seq \($0.seq), hash \(Hex.encode($0.hash))"
                }
                print("Intact: \(result.count) entries; \(head ?? "empty").")
            }
        }

        private func verify(against path: String) async throws {
            guard let data = FileManager.default.contents(atPath: path) else {
                throw UserError(message: "--checkpoint: cannot read \(path) (it does not exist or is not accessible)")
            }
            let checkpoint: AuditCheckpoint
            do {
                checkpoint = try AuditCheckpoint(fileData: data)
            } catch {
                standardError("haven: --checkpoint \(path): \(AuditCheckpointError.unreadable)")
                throw ExitCode(2)
            }
            let finding = try await KeyContext.with(database: database, keys: keys) { context in
                let op = Operator(pool: context.pool)
                if let named = practice.practice, try await op.practice(named) != checkpoint.practiceID {
                    throw UserError(
                        message:
                            "--practice: the checkpoint \(path) is of practice \(full(checkpoint.practiceID)), not this one"
                    )
                }
                do {
                    guard try checkpoint.isAuthentic(ring: context.manager.ring) else {
                        standardError(
                            "haven: the checkpoint \(path) is not authentic: its MAC does not match under master key "
                                + "version \(checkpoint.masterKeyVersion) (altered, or not made with this master key); "
                                + "do not trust it, and compare the chain with your other checkpoints"
                        )
                        throw ExitCode(2)
                    }
                } catch let error as AuditCheckpointError {
                    throw UserError(message: "--checkpoint \(path): \(error)")
                }
                return try await context.pool.withConnection { try await checkpoint.check(on: $0) }
            }
            let taken = "the checkpoint \(path) (seq \(checkpoint.seq), taken \(checkpoint.takenAt))"
            switch finding {
            case .matches(let entries, let head):
                let headText = head.map { "head seq \($0.seq), hash \(Hex.encode($0.hash))" } ?? "empty"
                print("Intact: \(entries) entries; \(headText); holds \(taken).")
            case .chainBroken(let broken):
                standardError("haven: the audit chain is broken: \(broken)")
                throw ExitCode(2)
            case .tailMissing(let lastSeq):
                standardError(
                    "haven: the audit log ends at seq \(lastSeq) but \(taken) records more: entries "
                        + "\(lastSeq + 1) to \(checkpoint.seq) were deleted; restore them from a backup and "
                        + "investigate who had owner or superuser access"
                )
                throw ExitCode(2)
            case .rewritten:
                standardError(
                    "haven: audit entry \(checkpoint.seq) does not match \(taken): the chain was rewritten "
                        + "(entries edited and their hashes recomputed) at or before seq \(checkpoint.seq); "
                        + "compare with a backup and investigate who had owner or superuser access"
                )
                throw ExitCode(2)
            }
        }
    }

    struct Head: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "head",
            abstract: "Print the chain head (last seq and hash) to keep off-site.",
            discussion: """
                Keep the output somewhere the database's administrators cannot edit; a later 'haven audit \
                verify' plus a matching seq/hash proves nothing before it was rewritten.

                Example:
                  haven audit head --json >> /secure/offsite/haven-audit-heads.jsonl
                """
        )

        @OptionGroup var database: OwnerDatabaseOptions
        @OptionGroup var practice: StaffCommand.PracticeOption
        @OptionGroup var output: OutputOptions

        struct HeadView: Encodable {
            var practiceID: String
            var seq: Int
            var hash: String
            var takenAt: Date
        }

        func run() async throws {
            try await Operator.with(database) { op in
                let practiceID = try await op.practice(practice.practice)
                let result = try await op.pool.withConnection {
                    try await AuditStore.verify(practiceID: practiceID, on: $0)
                }
                if let broken = result.firstBreak {
                    throw UserError(message: "the audit chain is broken (\(broken)); run 'haven audit verify'")
                }
                let view = HeadView(
                    practiceID: full(practiceID),
                    seq: result.head?.seq ?? 0,
                    hash: Hex.encode(result.head?.hash ?? []),
                    takenAt: Date()
                )
                try output.emit(view) { "\(view.practiceID) seq \(view.seq) hash \(view.hash)" }
            }
        }
    }
}

/// Prints one line to stderr (what `haven audit verify` found).
private func standardError(_ text: String) {
    FileHandle.standardError.write(Data((text + "\n").utf8))
}
