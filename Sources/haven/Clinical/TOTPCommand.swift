import ArgumentParser
import Foundation
import HavenHTTP
import HavenService

/// `haven totp`: your own one-time-code app, the second sign-in factor.
struct TOTPCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "totp",
        abstract: "Enrol, confirm or remove your one-time-code app (second sign-in factor).",
        discussion: """
            Any authenticator app that takes a TOTP secret works (6 digits, 30 seconds). Once confirmed, \
            'haven login' and POST /v1/auth/sessions ask for its code; each code works once. When your practice \
            requires an app, you cannot remove yours; an operator resets a lost one ('haven staff reset-totp'). \
            These commands go through the server you signed in to (/v1/me/totp); wrong codes are paused \
            there like failed sign-ins.

            Example:
              haven totp enroll
              haven totp status
            """,
        subcommands: [Status.self, Enroll.self, Confirm.self, Remove.self]
    )

    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "status",
            abstract: "Show whether you have an app and whether the practice requires one.",
            discussion: "Example:\n  haven totp status --json"
        )

        @OptionGroup var output: OutputOptions

        func run() async throws {
            let status = try await SessionFile.required().client().send(
                "GET",
                "/v1/me/totp",
                as: TOTPService.Status.self
            )
            try output.emit(status) {
                let state =
                    status.enrolled
                    ? "enrolled" : status.pending ? "enrolled, waiting for 'haven totp confirm'" : "not enrolled"
                return "One-time-code app: \(state). Practice policy: \(status.required ? "required" : "optional")."
            }
        }
    }

    struct Enroll: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "enroll",
            abstract: "Start enrolling an app: prints its secret, then asks for a code to confirm it.",
            discussion: """
                The secret is printed once: type it into the app (or turn the otpauth URI into a QR code). \
                At a terminal you are asked for the app's code at once; otherwise run 'haven totp confirm'.

                Example:
                  haven totp enroll
                """
        )

        struct Enrollment: Decodable {
            var secret: String
            var uri: String
        }

        func run() async throws {
            let client = try SessionFile.required().client()
            let enrollment = try await client.send("POST", "/v1/me/totp", body: APIClient.Empty(), as: Enrollment.self)
            print("Secret: \(enrollment.secret)")
            print("URI:    \(enrollment.uri)")
            guard isatty(STDIN_FILENO) != 0 else {
                print("Confirm with: haven totp confirm <code from the app>")
                return
            }
            print("Code from the app: ", terminator: "")
            try await Confirm.send(readLine() ?? "", to: "/v1/me/totp/confirmation", client: client)
            print("Confirmed: sign-in now asks for the app's code.")
        }
    }

    struct Confirm: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "confirm",
            abstract: "Confirm the app you are enrolling with a code it shows.",
            discussion: "Example:\n  haven totp confirm 492039"
        )

        @Argument(help: "The app's current 6-digit code.") var code: String

        func run() async throws {
            try await Self.send(code, to: "/v1/me/totp/confirmation", client: SessionFile.required().client())
            print("Confirmed: sign-in now asks for the app's code.")
        }

        /// Posts a code to `path` (confirmation or removal); the answer is the new status.
        static func send(_ code: String, to path: String, client: APIClient) async throws {
            _ = try await client.send(
                "POST",
                path,
                body: HavenAPI.TOTPCodeRequest(code: code),
                as: TOTPService.Status.self
            )
        }
    }

    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "remove",
            abstract: "Remove your app, proven with its current code (not when the practice requires one).",
            discussion: "Example:\n  haven totp remove 492039"
        )

        @Argument(help: "The app's current 6-digit code.") var code: String

        func run() async throws {
            try await Confirm.send(code, to: "/v1/me/totp/removal", client: SessionFile.required().client())
            print("Removed: sign-in asks for your password only.")
        }
    }
}
