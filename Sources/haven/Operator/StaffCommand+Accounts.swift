import ArgumentParser
import Foundation
import HavenService

extension StaffCommand {
    /// One account as `staff show` and `staff list --json` print it.
    struct Account: Encodable {
        struct Colleague: Encodable {
            var id: String
            var name: String
        }

        var id: String
        var name: String
        var email: String
        var roles: [String]
        var preLicensed: Bool
        var active: Bool
        var totpEnrolled: Bool
        var supervisors: [Colleague]
        var supervisees: [Colleague]

        init(_ account: StaffService.Account) {
            id = full(account.id)
            name = account.displayName
            email = account.email
            roles = account.roles
            preLicensed = account.preLicensed
            active = account.active
            totpEnrolled = account.totpEnrolled
            supervisors = account.supervisors.map { Colleague(id: full($0.id), name: $0.displayName) }
            supervisees = account.supervisees.map { Colleague(id: full($0.id), name: $0.displayName) }
        }
    }

    /// Roles from `--role` values, each one role or several comma-separated.
    static func roles(_ values: [String]) throws -> Set<StaffActor.Role> {
        var roles: Set<StaffActor.Role> = []
        for value in values {
            for name in value.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces).lowercased() }) {
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
        }
        return roles
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "show",
            abstract: "Show a staff member: roles, pre-licensed, disabled, one-time-code app, supervision.",
            discussion: "Example:\n  haven staff show 1a2b3c4d --json"
        )

        @OptionGroup var database: OwnerDatabaseOptions
        @OptionGroup var practice: PracticeOption
        @OptionGroup var output: OutputOptions
        @Argument(help: "Staff id or prefix.") var id: String

        func run() async throws {
            try await Operator.with(database) { op in
                let practiceID = try await op.practice(practice.practice)
                let account = try await StaffService(pool: op.pool).account(
                    try await op.staff(id, practice: practiceID),
                    practiceID: practiceID
                )
                try output.emit(Account(account)) {
                    func names(_ colleagues: [StaffService.Colleague]) -> String {
                        colleagues.isEmpty
                            ? "none" : colleagues.map { "\($0.displayName) (\(short($0.id)))" }.joined(separator: ", ")
                    }
                    return [
                        "\(account.displayName) <\(account.email)>  \(full(account.id))",
                        "Roles: \(account.roles.joined(separator: ", "))",
                        "Pre-licensed: \(account.preLicensed ? "yes" : "no")",
                        "Disabled: \(account.active ? "no" : "yes")",
                        "One-time-code app: \(account.totpEnrolled ? "enrolled" : "not enrolled")",
                        "Supervisors: \(names(account.supervisors))",
                        "Supervisees: \(names(account.supervisees))",
                    ].joined(separator: "\n")
                }
            }
        }
    }

    struct Unsupervise: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "unsupervise",
            abstract: "End a supervision link: the supervisor no longer reaches the supervisee's charts.",
            discussion: "Example:\n  haven staff unsupervise --supervisor 1a2b3c4d --supervisee 5e6f7a8b"
        )

        @OptionGroup var database: OwnerDatabaseOptions
        @OptionGroup var practice: PracticeOption
        @Option(help: "Supervisor's id or prefix.") var supervisor: String
        @Option(help: "Supervisee's id or prefix.") var supervisee: String

        func run() async throws {
            try await Operator.with(database) { op in
                let practiceID = try await op.practice(practice.practice)
                try await StaffService(pool: op.pool).removeSupervision(
                    supervisor: try await op.staff(supervisor, practice: practiceID),
                    supervisee: try await op.staff(supervisee, practice: practiceID),
                    practiceID: practiceID,
                    source: KeyContext.source
                )
                print("Unlinked.")
            }
        }
    }

    struct SetRoles: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "set-roles",
            abstract: "Replace a staff member's roles (from their next request on).",
            discussion: "Example:\n  haven staff set-roles 1a2b3c4d --role counselor --role supervisor"
        )

        @OptionGroup var database: OwnerDatabaseOptions
        @OptionGroup var practice: PracticeOption
        @Argument(help: "Staff id or prefix.") var id: String
        @Option(help: "A role: admin, counselor, scheduler, supervisor (repeat, or comma-separate).") var role:
            [String] = []

        func run() async throws {
            let roles = try StaffCommand.roles(role)
            try await Operator.with(database) { op in
                let practiceID = try await op.practice(practice.practice)
                let staffID = try await op.staff(id, practice: practiceID)
                do {
                    try await StaffService(pool: op.pool).setRoles(
                        roles,
                        of: staffID,
                        practiceID: practiceID,
                        source: KeyContext.source
                    )
                } catch let error as ServiceError where error.field == "roles" {
                    throw UserError(message: "--role: \(error.message)")
                }
                print("Roles of \(full(staffID)): \(roles.map(\.rawValue).sorted().joined(separator: ", ")).")
            }
        }
    }

    struct ResetPassword: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "reset-password",
            abstract: "Set a staff member's new password; their sessions end at once.",
            discussion: """
                The password is prompted twice, or read with --password-stdin or --password-file (one \
                line); never given as an argument. At least 12 characters.

                Example:
                  haven staff reset-password 1a2b3c4d --password-stdin
                """
        )

        @OptionGroup var database: OwnerDatabaseOptions
        @OptionGroup var practice: PracticeOption
        @Argument(help: "Staff id or prefix.") var id: String
        @Flag(help: "Read the password from stdin.") var passwordStdin = false
        @Option(help: "Read the password from this file (its first line).") var passwordFile: String?

        func run() async throws {
            let password: String
            if let passwordFile {
                guard !passwordStdin else { throw UserError(message: "--password-file: give it or --password-stdin") }
                password = try readPasswordFile(passwordFile)
            } else {
                password = try readNewPassword(fromStdin: passwordStdin)
            }
            try await Operator.with(database) { op in
                let practiceID = try await op.practice(practice.practice)
                let staffID = try await op.staff(id, practice: practiceID)
                try await StaffService(pool: op.pool).resetPassword(
                    of: staffID,
                    to: password,
                    practiceID: practiceID,
                    source: KeyContext.source
                )
                print("New password set for \(full(staffID)); their sessions have ended.")
            }
        }
    }
}
