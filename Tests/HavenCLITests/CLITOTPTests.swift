import Foundation
import HavenService
import HavenServiceFixtures
import HavenTestSupport
import Sealing
import Testing

@Suite(
    "The haven binary's second factor: totp enroll/confirm/status/remove, login with a code, the policy",
    .needsTestDatabase,
    .needsHavenBinary
)
struct CLITOTPTests {
    struct Status: Decodable, Equatable {
        var enrolled: Bool
        var pending: Bool
        var required: Bool
    }

    @Test func enrolThenLoginAsksForTheCode() async throws {
        try await CLIFixture.with { f in
            try f.login()
            // Not at a terminal: enrol prints the secret and says how to confirm.
            let enroll = try f.run(["totp", "enroll"])
            #expect(enroll.status == 0)
            let secretLine = try #require(enroll.stdout.split(separator: "\n").first { $0.hasPrefix("Secret: ") })
            let secret = try #require(Base32.decode(String(secretLine.dropFirst("Secret: ".count))))
            #expect(enroll.stdout.contains("otpauth://totp/Haven:dana@harbor.example"))
            #expect(enroll.stdout.contains("haven totp confirm"))
            #expect(
                try f.json(["totp", "status"], as: Status.self)
                    == Status(enrolled: false, pending: true, required: false)
            )

            let app = TOTP(secret: SecureBytes(copying: secret))
            let wrong = try f.run(["totp", "confirm", app.code(step: app.step(at: Date()) + 9)])
            #expect(wrong.status == 1 && wrong.stderr.contains("code"))
            // The previous step's code, with time left for the binary to start and check it before that
            // step leaves the window; later steps stay free for the sign-ins below.
            let confirmed = try await app.previousStep(leaving: 20)
            try f.ok(["totp", "confirm", app.code(step: confirmed)])
            #expect(
                try f.json(["totp", "status"], as: Status.self)
                    == Status(enrolled: true, pending: false, required: false)
            )

            // The sealed secret is one of the values the operator's key check opens.
            #expect(try f.ok(["keys", "verify"]) == "All 1 sealed values open.")

            // Login now needs the code: without one (no terminal to ask) it fails and says so.
            let login = ["login", "--email", "dana@harbor.example", "--password-stdin"]
            let bare = try f.run(login, stdin: StaffFixture.password)
            #expect(bare.status == 1 && bare.stderr.contains("6-digit code"))
            let step = try await app.step(after: confirmed)
            try f.ok(login + ["--totp-code", app.code(step: step)], stdin: StaffFixture.password)
            let replay = try f.run(login + ["--totp-code", app.code(step: step)], stdin: StaffFixture.password)
            #expect(replay.status == 1 && replay.stderr.contains("already used"))
            try f.ok(["whoami"])

            // The operator's policy makes it impossible to remove; the operator's reset still can.
            try f.ok(["staff", "require-totp", "on"])
            let kept = try f.run(["totp", "remove", app.code(step: try await app.step(after: step))])
            #expect(kept.status == 1 && kept.stderr.contains("requires"))
            try f.ok(["staff", "reset-totp", String(f.fixture.counselorID.uuidString.prefix(8))])
            let confined = try f.run(["couple", "list"])
            #expect(confined.status == 1 && confined.stderr.contains("haven totp enroll"))
            #expect(
                try f.json(["totp", "status"], as: Status.self)
                    == Status(enrolled: false, pending: false, required: true)
            )
            let relogin = try f.run(login, stdin: StaffFixture.password)
            #expect(relogin.status == 0 && relogin.stdout.contains("haven totp enroll"))
        }
    }
}
