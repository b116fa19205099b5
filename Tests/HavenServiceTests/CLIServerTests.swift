import Foundation
import HavenTestSupport
import Testing

/// `haven login`, `whoami` and `logout` go through `haven serve`: no database URL or master key in
/// the CLI's environment, plain http only to this machine, and the server's sign-in pause applies.
@Suite("The CLI signs in through the server")
struct CLIServerTests {
    /// What a counselor's shell holds: the server's address and a config directory, nothing else.
    private static let noDatabase = [
        "HAVEN_DATABASE_URL": "", "HAVEN_OWNER_DATABASE_URL": "", "HAVEN_MASTER_KEY_FILE": "",
    ]

    @Test func signInWhoamiAndSignOutNeedOnlyTheServer() async throws {
        try await CLIFixture.with { f in
            let login = try f.cli.run(
                ["login", "--email", "dana@harbor.example", "--password-stdin"],
                stdin: StaffFixture.password,
                extraEnvironment: Self.noDatabase
            )
            #expect(login.status == 0 && login.stdout.contains("Signed in as dana@harbor.example"), "\(login)")
            let session =
                try JSONSerialization.jsonObject(
                    with: Data(contentsOf: URL(fileURLWithPath: f.configDirectory + "/session.json"))
                ) as? [String: Any]
            #expect(session?["server"] as? String == f.server.url)
            let whoami = try f.cli.run(["whoami", "--json"], extraEnvironment: Self.noDatabase)
            #expect(whoami.status == 0, "\(whoami)")
            let identity = try JSONSerialization.jsonObject(with: Data(whoami.stdout.utf8)) as? [String: Any]
            #expect(
                identity?["email"] as? String == "dana@harbor.example"
                    && identity?["practice"] as? String == "Harbor Counseling"
            )
            // The caseload too: through GET /v1/couples, same table and JSON as before.
            let caseload = try f.cli.run(["couple", "list"], extraEnvironment: Self.noDatabase)
            #expect(caseload.status == 0 && caseload.stdout.contains("No couples in your caseload yet"), "\(caseload)")
            let badCounselor = try f.cli.run(
                ["couple", "list", "--counselor", "12z4"],
                extraEnvironment: Self.noDatabase
            )
            #expect(badCounselor.status == 1 && badCounselor.stderr.contains("counselor: '12z4' is not a UUID"))
            let logout = try f.cli.run(["logout"], extraEnvironment: Self.noDatabase)
            #expect(logout.status == 0, "\(logout)")
            // The token is dead on the server, not only forgotten here.
            #expect(!FileManager.default.fileExists(atPath: f.configDirectory + "/session.json"))
            let after = try f.cli.run(["whoami"], extraEnvironment: Self.noDatabase)
            #expect(after.status == 1 && after.stderr.contains("not signed in"))
        }
    }

    @Test(arguments: ["http://haven.example.org", "http://10.1.2.3:8080", "ftp://127.0.0.1", "not a url"])
    func plainHTTPToAnotherHostIsRefusedBeforeAnythingIsSent(server: String) async throws {
        try await CLIFixture.with { f in
            let result = try f.cli.run(
                ["login", "--server", server, "--email", "dana@harbor.example", "--password-stdin"],
                stdin: StaffFixture.password
            )
            #expect(result.status == 1 && result.stderr.contains("--server"), "\(result)")
            #expect(!result.stderr.contains(StaffFixture.password))
            #expect(!FileManager.default.fileExists(atPath: f.configDirectory + "/session.json"))
        }
    }

    @Test func noServerOrAnUnreachableOneSaysWhatToDo() async throws {
        try await CLIFixture.with { f in
            let none = try f.cli.run(
                ["login", "--email", "dana@harbor.example", "--password-stdin"],
                stdin: StaffFixture.password,
                extraEnvironment: ["HAVEN_URL": ""]
            )
            #expect(none.status == 1 && none.stderr.contains("HAVEN_URL"), "\(none)")
            // Port 9 on loopback: nothing listens there.
            let down = try f.cli.run(
                ["login", "--server", "http://127.0.0.1:9", "--email", "dana@harbor.example", "--password-stdin"],
                stdin: StaffFixture.password
            )
            #expect(down.status == 2 && down.stderr.contains("cannot reach Haven at http://127.0.0.1:9"), "\(down)")
        }
    }

    @Test func wrongPasswordsArePausedLikeTheAPIs() async throws {
        try await CLIFixture.with { f in
            for _ in 0..<5 {
                let wrong = try f.cli.run(
                    ["login", "--email", "dana@harbor.example", "--password-stdin"],
                    stdin: "not the password at all"
                )
                #expect(wrong.status == 1 && wrong.stderr.contains("wrong email or password"), "\(wrong)")
            }
            // Even the right password now waits: the pause is the server's, for every client.
            let paused = try f.cli.run(
                ["login", "--email", "dana@harbor.example", "--password-stdin"],
                stdin: StaffFixture.password
            )
            #expect(paused.status == 1 && paused.stderr.contains("too many failed attempts"), "\(paused)")
            #expect(paused.stderr.contains("retry in"))
        }
    }
}
