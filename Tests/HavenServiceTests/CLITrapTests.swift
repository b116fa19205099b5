import Foundation
import HavenTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

@Suite("Operator traps: serve's numbers, clinical text never on the command line, a private config directory")
struct CLITrapTests {
    @Test func serveRefusesImpossibleConnectionsAndPortsWithOneLine() async throws {
        try await CLIFixture.with { f in
            for (arguments, message) in [
                (["--connections", "0"], "--connections must be 1 to 500"),
                (["--connections", "501"], "--connections must be 1 to 500"),
                (["--port", "99999"], "--port must be 1 to 65535"),
                (["--port", "0"], "--port must be 1 to 65535"),
            ] {
                let result = try f.cli.run(["serve"] + arguments)
                #expect(result.status == 1, "\(arguments): \(result)")
                #expect(result.stderr.hasPrefix("haven: \(message)") && result.stderr.split(separator: "\n").count == 1)
                #expect(!result.stderr.contains("Fatal error") && !result.stderr.contains("Precondition"))
            }
        }
    }
}
