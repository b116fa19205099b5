import Foundation
import HavenTestSupport
import Testing

/// ArgumentParser's own usage errors speak as Haven's do: one `haven:` line naming the flag, the value,
/// what the flag takes, a did-you-mean for a mistyped flag, and the command's --help; nothing else.
@Suite("Usage errors in Haven's one style", .needsHavenBinary)
struct CLIParseErrorTests {
    @Test func usageErrorsAreOneLineNamingTheFlag() throws {
        let cli = HavenCLI(binary: try TestDatabase.havenBinary(), environment: ["PATH": "/usr/bin:/bin"])
        for (arguments, expected) in [
            (
                ["session", "schedule", "--couple", "3f2a91c0"],
                "haven: missing --at (Start, ISO 8601 (practice time unless an offset or Z is given)); "
                    + "see 'haven session schedule --help'"
            ),
            (
                ["session", "schedule", "--at", "x", "--minutes", "fifty"],
                "haven: --minutes: 'fifty' is not valid; length in minutes (5-480); see 'haven session schedule --help'"
            ),
            (
                ["note", "write", "--sesion", "x"],
                "haven: unknown option '--sesion' (did you mean --session?); see 'haven note write --help'"
            ),
            (["note", "show"], "haven: missing ID (Note id or prefix); see 'haven note show --help'"),
        ] {
            let result = try cli.run(arguments)
            #expect(result.status == 1 && result.stdout.isEmpty, "\(arguments): \(result)")
            #expect(result.stderr == expected + "\n", "\(arguments): \(result.stderr)")
        }
    }
}
