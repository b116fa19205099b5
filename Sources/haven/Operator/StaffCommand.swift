import ArgumentParser
import Foundation
import HavenService

/// `haven staff`: accounts (operators, owner database URL).
struct StaffCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "staff",
        abstract: "Add, list, show and disable staff; set roles and passwords; link supervisors (operators).",
        subcommands: [
            Add.self, List.self, Show.self, Disable.self, SetRoles.self, ResetPassword.self, Supervise.self,
            Unsupervise.self, ResetTOTP.self, RequireTOTP.self,
        ]
    )

    /// Which practice: `--practice`, or the only one.
    struct PracticeOption: ParsableArguments {
        @Option(help: "Practice id or prefix (default: the only practice).") var practice: String?
    }

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "add",
            abstract: "Add a staff member with a password.",
            discussion: """
                Roles combine: admin, counselor, scheduler, supervisor. The password is prompted twice (or read with \
                --password-stdin); at least 12 characters.

                Example:
                  haven staff add --email dana@harbor.example --name "Dana Reyes" --role counselor --credentials LMFT
                """
        )

        @OptionGroup var database: OwnerDatabaseOptions
        @OptionGroup var practice: PracticeOption
        @Option(help: "Sign-in email.") var email: String
        @Option(help: "Display name.") var name: String
        @Option(help: "Roles, comma-separated: admin, counselor, scheduler, supervisor.") var role: String
        @Option(help: "Credentials shown with the name (e.g. LMFT).") var credentials = ""
        @Flag(help: "Pre-licensed (their notes need co-signature).") var preLicensed = false
        @Flag(help: "Read the password from stdin.") var passwordStdin = false

        func run() async throws {
            var roles: Set<StaffActor.Role> = []
            for name in role.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces).lowercased() }) {
                guard let parsed = StaffActor.Role(rawValue: name) else {
                    throw unknownValue(
                        name,
                        option: "--role",
                        kind: "a staff role",
                        allowed: StaffActor.Role.allCases.map(\.rawValue)
                    )
                }
                roles.insert(parsed)
            }
            let password = try readNewPassword(fromStdin: passwordStdin)
            try await Operator.with(database) { op in
                let practiceID = try await op.practice(practice.practice)
                let id = try await StaffService(pool: op.pool).createStaff(
                    .init(
                        email: email,
                        displayName: name,
                        credentials: credentials,
                        roles: roles,
                        preLicensed: preLicensed,
                        password: password
                    ),
                    practiceID: practiceID,
                    source: KeyContext.source
                )
                print(full(id))
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "list",
            abstract: "List a practice's staff with their pre-licensed status and supervisors.",
            discussion: "Example:\n  haven staff list --json"
        )

        @OptionGroup var database: OwnerDatabaseOptions
        @OptionGroup var practice: PracticeOption
        @OptionGroup var output: OutputOptions

        func run() async throws {
            try await Operator.with(database) { op in
                let staff = try await StaffService(pool: op.pool).accounts(
                    practiceID: try await op.practice(practice.practice)
                )
                try output.emit(staff.map(Account.init)) {
                    TextTable(
                        header: ["ID", "NAME", "EMAIL", "ROLES", "PRE-LICENSED", "SUPERVISORS", "ACTIVE"],
                        rows: staff.map {
                            [
                                short($0.id), $0.displayName, $0.email, $0.roles.joined(separator: ","),
                                $0.preLicensed ? "yes" : "no",
                                $0.supervisors.map(\.displayName).joined(separator: ", "),
                                $0.active ? "yes" : "no",
                            ]
                        }
                    ).render()
                }
            }
        }
    }

    struct Disable: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "disable",
            abstract: "Disable a staff member; their sessions stop working at once.",
            discussion: "Example:\n  haven staff disable 1a2b3c4d"
        )

        @OptionGroup var database: OwnerDatabaseOptions
        @OptionGroup var practice: PracticeOption
        @Argument(help: "Staff id or prefix.") var id: String

        func run() async throws {
            try await Operator.with(database) { op in
                let practiceID = try await op.practice(practice.practice)
                let staffID = try await op.staff(id, practice: practiceID)
                try await StaffService(pool: op.pool).disable(
                    staffID: staffID,
                    practiceID: practiceID,
                    source: KeyContext.source
                )
                print("Disabled \(full(staffID)); their sessions have ended.")
            }
        }
    }

    struct ResetTOTP: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "reset-totp",
            abstract: "Remove a staff member's one-time-code app (lost device); they enrol again.",
            discussion: """
                Check who is asking before you do this: it leaves the account protected by its password \
                alone until they enrol a new app (at once, if the practice requires one).

                Example:
                  haven staff reset-totp 1a2b3c4d
                """
        )

        @OptionGroup var database: OwnerDatabaseOptions
        @OptionGroup var practice: PracticeOption
        @Argument(help: "Staff id or prefix.") var id: String

        func run() async throws {
            try await Operator.with(database) { op in
                let practiceID = try await op.practice(practice.practice)
                let staffID = try await op.staff(id, practice: practiceID)
                try await TOTPService.reset(
                    staffID: staffID,
                    practiceID: practiceID,
                    source: KeyContext.source,
                    pool: op.pool
                )
                print("Reset \(full(staffID)): their next sign-in needs the password only.")
            }
        }
    }

    struct RequireTOTP: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "require-totp",
            abstract: "Set the practice policy: whether every staff member must use a one-time-code app.",
            discussion: """
                With 'on', a staff member without a confirmed app can only enrol one (every other request \
                is refused, in live sessions too) until they do.

                Example:
                  haven staff require-totp on
                """
        )

        @OptionGroup var database: OwnerDatabaseOptions
        @OptionGroup var practice: PracticeOption
        @Argument(help: "on or off.") var setting: String

        func run() async throws {
            guard ["on", "off"].contains(setting) else { throw UserError(message: "setting: say 'on' or 'off'") }
            try await Operator.with(database) { op in
                let practiceID = try await op.practice(practice.practice)
                try await TOTPService.setRequired(
                    setting == "on",
                    practiceID: practiceID,
                    source: KeyContext.source,
                    pool: op.pool
                )
                print("One-time-code apps are now \(setting == "on" ? "required" : "optional") in this practice.")
            }
        }
    }

    struct Supervise: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "supervise",
            abstract: "Make a supervisor responsible for a supervisee.",
            discussion: "Example:\n  haven staff supervise --supervisor 1a2b3c4d --supervisee 5e6f7a8b"
        )

        @OptionGroup var database: OwnerDatabaseOptions
        @OptionGroup var practice: PracticeOption
        @Option(help: "Supervisor's id or prefix.") var supervisor: String
        @Option(help: "Supervisee's id or prefix.") var supervisee: String

        func run() async throws {
            try await Operator.with(database) { op in
                let practiceID = try await op.practice(practice.practice)
                try await StaffService(pool: op.pool).addSupervision(
                    supervisor: try await op.staff(supervisor, practice: practiceID),
                    supervisee: try await op.staff(supervisee, practice: practiceID),
                    practiceID: practiceID,
                    source: KeyContext.source
                )
                print("Linked.")
            }
        }
    }
}
