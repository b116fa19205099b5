import Foundation
import HavenService
import HavenServiceFixtures
import HavenStore
import HavenTestSupport
import Postgres
import Sealing
import Testing

@Suite("A sealed canary phrase leaks nowhere", .needsTestDatabase, .needsServerLog)
struct CanaryTests {
    @Test func theCanaryIsInNoDumpNoServerLogNoAppLogAndNoError() async throws {
        guard let serverLog = ProcessInfo.processInfo.environment["HAVEN_TEST_SERVER_LOG"],
            let pgDump = ProcessInfo.processInfo.environment["HAVEN_TEST_PG_DUMP"]
        else { throw TestSetupError("HAVEN_TEST_SERVER_LOG and HAVEN_TEST_PG_DUMP are set by scripts/test") }
        let canary = "CANARY-\(UUID().uuidString)-partner-disclosed-affair"
        let capture = LogCapture()
        try await KeyTestFixture.with { fixture in
            let manager = KeyManager(ring: try MasterKeyring.generate(), logger: capture.logger())
            try await fixture.pool.withConnection { try await manager.checkMasterKeys(on: $0) }
            let row = try await fixture.write(canary, subject: "canary", manager: manager)
            #expect(try await fixture.read(row, manager: manager) == canary)

            // Error paths: a moved value, a corrupted value, verification and rotation.
            var errors: [String] = []
            let decoy = try await fixture.write("decoy", subject: "canary", manager: manager)
            try await fixture.pool.query(
                "UPDATE sealed_test_values SET body = (SELECT body FROM sealed_test_values WHERE id = \(row)) WHERE id = \(decoy)"
            )
            do {
                _ = try await fixture.read(decoy, manager: manager)
            } catch {
                errors.append("\(error)")
                errors.append(String(reflecting: error))
            }
            let report = try await manager.verify(pool: fixture.pool)
            errors.append("\(report)")
            let rotation = try await manager.rotateData(subject: nil, pool: fixture.pool)
            #expect(rotation.unreadable == 1 && rotation.reencrypted == 1)
            #expect(try await fixture.read(row, manager: manager) == canary)

            // The server's own view: a dump of the database, and its log of every statement.
            let dumpPath = NSTemporaryDirectory() + "haven-dump-\(UUID().uuidString).sql"
            defer {
                unlink(dumpPath)
                unlink(dumpPath + ".err")
            }
            let url = try TestDatabase.url(for: fixture.configuration)
            let pid = spawnProgram(
                pgDump,
                arguments: ["--dbname=\(url)", "--no-owner", "--enable-row-security"],
                outputPath: dumpPath
            )
            #expect(waitForProgram(pid) == 0)
            let dump = try String(contentsOfFile: dumpPath, encoding: .utf8)
            #expect(dump.contains("sealed_test_values"))
            #expect(!dump.contains(canary))
            let log = try String(contentsOfFile: serverLog, encoding: .utf8)
            #expect(log.contains("INSERT INTO sealed_test_values"))
            #expect(!log.contains(canary))
            #expect(!capture.entries.contains { $0.fullText.contains(canary) })
            #expect(!errors.contains { $0.contains(canary) })
        }
    }
}
