import ArgumentParser
import Foundation
import HavenService
import Postgres

/// `haven login`: email and password in, a session token stored (mode 0600) for later commands.
struct LoginCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "login",
        abstract: "Sign in; later clinical commands act as you.",
        discussion: """
            Asks for your email (unless --email) and password (not echoed). The session is stored in \
            $HAVEN_CONFIG_DIR (default ~/.config/haven) with mode 0600; it ends after 15 idle minutes or \
            12 hours, or with 'haven logout'.

            With a one-time-code app enrolled ('haven totp enroll'), it also asks for the app's code \
            (or takes --totp-code); that needs the master key, as clinical commands do. If your practice \
            requires an app and you have none, you can only enrol one until you do.

            Example:
              haven login --email dana@harbor.example
              printf '%s' "$PASSWORD" | haven login --email dana@harbor.example --password-stdin
            """
    )

    @Option(help: "Your sign-in email.") var email: String?
    @Flag(help: "Read the password from stdin (for scripts) instead of prompting.") var passwordStdin = false
    @Option(help: "The authenticator app's current code (asked for at a terminal when needed).") var totpCode: String?
    @OptionGroup var keys: MasterKeyOptions
    @Option(
        name: .customLong("database-url"),
        help: ArgumentHelp("libpq URL of the haven_app role (default: $HAVEN_DATABASE_URL).", valueName: "url")
    )
    var databaseURL: String?

    func run() async throws {
        // Refuse a config directory that is not private before a session exists to be kept in it.
        _ = try SessionFile.privateDirectory()
        let email = try self.email ?? prompt("Email: ")
        let password = try readPassword()
        let logger = CommandLogging.logger()
        let pool = ConnectionPool(
            configuration: try ClinicalOptions.configuration(url: databaseURL),
            limits: .init(maxConnections: 1),
            logger: logger
        )
        do {
            let configured = keys.path != nil || ProcessInfo.processInfo.environment["HAVEN_MASTER_KEY"] != nil
            let manager = try configured ? KeyManager(ring: keys.load(), logger: logger) : nil
            let auth = AuthService(pool: pool, keys: manager, logger: logger)
            let signIn: AuthService.SignIn
            do {
                signIn = try await auth.login(
                    email: email,
                    password: password,
                    totpCode: totpCode,
                    source: KeyContext.source
                )
            } catch let error as ServiceError where error.reason == "totp-required" && isatty(STDIN_FILENO) != 0 {
                print("One-time code: ", terminator: "")
                signIn = try await auth.login(
                    email: email,
                    password: password,
                    totpCode: readLine() ?? "",
                    source: KeyContext.source
                )
            }
            try SessionFile(
                token: signIn.token.value,
                email: email.lowercased(),
                staffID: signIn.actor.staffID,
                practiceID: signIn.actor.practiceID,
                absoluteExpiry: signIn.absoluteExpiry
            ).save()
            await pool.close()
            print("Signed in as \(email.lowercased()) (\(signIn.actor.roleNames.joined(separator: ", "))).")
            if signIn.actor.totpEnrollmentDue {
                print("Your practice requires a one-time-code app: run 'haven totp enroll' before anything else.")
            }
        } catch {
            await pool.close()
            throw error
        }
    }

    private func readPassword() throws -> String {
        if passwordStdin {
            let text = String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self)
            return text.hasSuffix("\n") ? String(text.dropLast()) : text
        }
        guard isatty(STDIN_FILENO) != 0, let typed = getpass("Password: ") else {
            throw UserError(message: "no terminal to ask for the password; use --password-stdin")
        }
        return String(cString: typed)
    }

    private func prompt(_ text: String) throws -> String {
        guard isatty(STDIN_FILENO) != 0 else { throw UserError(message: "--email is required when not at a terminal") }
        print(text, terminator: "")
        guard let line = readLine(), !line.isEmpty else { throw UserError(message: "no email given") }
        return line
    }
}

/// `haven logout`: ends the stored session on the server and forgets it here.
struct LogoutCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "logout",
        abstract: "End your session.",
        discussion: "Example:\n  haven logout"
    )

    @OptionGroup var options: ClinicalOptions

    func run() async throws {
        guard try SessionFile.load() != nil else {
            print("Not signed in.")
            return
        }
        do {
            try await Clinic.with(options, needsKeys: false) { clinic in
                try await AuthService(pool: clinic.pool, logger: CommandLogging.logger())
                    .logout(actor: clinic.actor)
            }
        } catch let error as ServiceError where error.kind == .unauthenticated {
            // Already over on the server; forgetting it here is all that is left.
        }
        SessionFile.remove()
        print("Signed out.")
    }
}

/// `haven whoami`: who the stored session acts as.
struct WhoamiCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "whoami",
        abstract: "Show who you are signed in as.",
        discussion: "Example:\n  haven whoami --json"
    )

    @OptionGroup var options: ClinicalOptions
    @OptionGroup var output: OutputOptions

    struct Identity: Encodable {
        var staffID: String
        var email: String
        var name: String
        var roles: [String]
        var practiceID: String
        var practice: String
        var timeZone: String
        var sessionExpires: Date
    }

    func run() async throws {
        try await Clinic.with(options, needsKeys: false) { clinic in
            let practice = try await clinic.practice()
            let me = try await PracticeService(pool: clinic.pool).staff(actor: clinic.actor)
                .first { $0.id == clinic.actor.staffID }
            let session = try SessionFile.load()
            let identity = Identity(
                staffID: full(clinic.actor.staffID),
                email: session?.email ?? "",
                name: me?.displayName ?? "",
                roles: clinic.actor.roleNames,
                practiceID: full(practice.id),
                practice: practice.name,
                timeZone: practice.timeZone,
                sessionExpires: session?.absoluteExpiry ?? Date()
            )
            try output.emit(identity) {
                """
                \(identity.name) <\(identity.email)>, \(identity.roles.joined(separator: ", ")) at \(practice.name)
                staff id \(identity.staffID); times shown in \(practice.timeZone); session ends by \
                \(DateStyle(timeZoneName: practice.timeZone).dateTime(identity.sessionExpires))
                """
            }
        }
    }
}
