import ArgumentParser
import Foundation
import HavenHTTP
import HavenService

/// `haven login`: email and password to `haven serve`, a session token stored (mode 0600) for later
/// commands, with the server's address.
struct LoginCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "login",
        abstract: "Sign in to Haven; later clinical commands act as you.",
        discussion: """
            Signs in through the server (`haven serve`) named by --server or $HAVEN_URL: https://, or \
            plain http:// only to this machine. Asks for your email (unless --email) and password (not \
            echoed). The session token and the server's address are stored in $HAVEN_CONFIG_DIR \
            (default ~/.config/haven) with mode 0600; the session ends after 15 idle minutes or 12 \
            hours, or with 'haven logout'. Failed sign-ins are paused like the web's.

            With a one-time-code app enrolled ('haven totp enroll'), it also asks for the app's code \
            (or takes --totp-code). If your practice requires an app and you have none, you can only \
            enrol one until you do.

            Example:
              haven login --server https://haven.example.org --email dana@harbor.example
              printf '%s' "$PASSWORD" | haven login --email dana@harbor.example --password-stdin
            """
    )

    @Option(help: "Your sign-in email.") var email: String?
    @Flag(help: "Read the password from stdin (for scripts) instead of prompting.") var passwordStdin = false
    @Option(help: "The authenticator app's current code (asked for at a terminal when needed).") var totpCode: String?
    @Option(help: ArgumentHelp("Haven's address (default: $HAVEN_URL).", valueName: "url")) var server: String?

    func run() async throws {
        // Refuse a config directory that is not private before a session exists to be kept in it.
        _ = try SessionFile.privateDirectory()
        let environment = ProcessInfo.processInfo.environment["HAVEN_URL"].flatMap { $0.isEmpty ? nil : $0 }
        guard let address = server ?? environment else {
            throw UserError(
                message:
                    "no server given; pass --server https://haven.example.org or set HAVEN_URL (scripts/start prints it)"
            )
        }
        let client = try APIClient(server: address, flag: server != nil ? "--server" : "HAVEN_URL")
        let email = try self.email ?? prompt("Email: ")
        let password = try readPassword()
        let answer: HavenAPI.SignInResponse
        do {
            answer = try await client.send(
                "POST",
                "/v1/auth/sessions",
                body: HavenAPI.SignInRequest(email: email, password: password, totpCode: totpCode),
                as: HavenAPI.SignInResponse.self
            )
        } catch let failure as APIFailure where failure.kind == "totp-required" && isatty(STDIN_FILENO) != 0 {
            print("One-time code: ", terminator: "")
            answer = try await client.send(
                "POST",
                "/v1/auth/sessions",
                body: HavenAPI.SignInRequest(email: email, password: password, totpCode: readLine() ?? ""),
                as: HavenAPI.SignInResponse.self
            )
        }
        let signedIn = email.trimmingCharacters(in: .whitespaces).lowercased()
        try SessionFile(
            token: answer.token,
            email: signedIn,
            staffID: try Self.id(answer.staffId),
            practiceID: try Self.id(answer.practiceId),
            absoluteExpiry: answer.expiresAt,
            server: client.server.absoluteString
        ).save()
        print("Signed in as \(signedIn) (\(answer.roles.joined(separator: ", "))).")
        if answer.totpEnrollmentRequired {
            print("Your practice requires a one-time-code app: run 'haven totp enroll' before anything else.")
        }
    }

    private static func id(_ text: String) throws -> UUID {
        guard let id = UUID(uuidString: text) else {
            throw UserError(message: "the server answered the sign-in in a form this haven does not understand")
        }
        return id
    }

    private func readPassword() throws -> String {
        if passwordStdin {
            return passwordLine(FileHandle.standardInput.readDataToEndOfFile())
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

    func run() async throws {
        guard let session = try SessionFile.load() else {
            print("Not signed in.")
            return
        }
        // Forget the token here first, whatever the server says: it must not outlive a logout.
        SessionFile.remove()
        do {
            try await session.client().send("DELETE", "/v1/auth/sessions/current")
        } catch let failure as APIFailure where failure.status == 401 {
            // Already over on the server.
        } catch {
            throw UserError(
                message:
                    "signed out here, but the server could not end the session (\(ErrorReport.classify(error)?.message ?? "no answer")); it ends by itself after 15 idle minutes",
                status: 2
            )
        }
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
        let session = try SessionFile.required()
        let me = try await session.client().send("GET", "/v1/me", as: HavenAPI.MeResponse.self)
        let identity = Identity(
            staffID: me.staffId,
            email: me.email,
            name: me.name,
            roles: me.roles,
            practiceID: me.practiceId,
            practice: me.practice,
            timeZone: me.timeZone,
            sessionExpires: session.absoluteExpiry
        )
        try output.emit(identity) {
            """
            \(identity.name) <\(identity.email)>, \(identity.roles.joined(separator: ", ")) at \(me.practice)
            staff id \(identity.staffID); times shown in \(me.timeZone); session ends by \
            \(DateStyle(timeZoneName: me.timeZone).dateTime(identity.sessionExpires))
            """
        }
    }
}
