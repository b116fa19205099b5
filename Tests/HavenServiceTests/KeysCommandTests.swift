import Foundation
import HavenService
import HavenStore
import HavenTestSupport
import Postgres
import Sealing
import Testing

@Suite("The haven binary's key commands, killed mid-rotation and resumed")
struct KeysCommandTests {
    @Test func rotateDataKilledWithSIGKILLThenRunAgainLosesNothing() async throws {
        try await KeyTestFixture.with { fixture in
            let ring = try MasterKeyring.generate()
            let manager = try await fixture.manager(ring)
            var rows: [UUID] = []
            for index in 0..<1_500 {
                rows.append(try await fixture.write("value \(index)", subject: "s\(index % 2)", manager: manager))
            }
            let directory = NSTemporaryDirectory() + "haven-keys-\(UUID().uuidString)"
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(atPath: directory) }
            let keyFile = directory + "/master.key"
            let descriptor = open(keyFile, O_WRONLY | O_CREAT | O_EXCL, 0o600)
            _ = ring.fileText().withCString { write(descriptor, $0, strlen($0)) }
            close(descriptor)
            let arguments = [
                "keys", "rotate-data", "--all", "--batch-size", "5",
                "--database-url", try TestDatabase.url(for: fixture.configuration), "--key-file", keyFile,
            ]
            let binary = try TestDatabase.havenBinary()

            let pid = spawnProgram(binary, arguments: arguments, outputPath: directory + "/first.out")
            #expect(pid > 0)
            try await Task.sleep(for: .milliseconds(400))
            kill(pid, SIGKILL)
            #expect(waitForProgram(pid) == 128 + SIGKILL)

            // Killed mid-way: every value still opens, under the old or the new key.
            let midway = try await manager.verify(pool: fixture.pool)
            #expect(midway.checked == 1_500)
            #expect(midway.failures.isEmpty)
            let partial = try await manager.status(pool: fixture.pool)
            #expect(partial.dataKeys.filter { $0.state == "active" }.count == 2)

            let second = spawnProgram(binary, arguments: arguments, outputPath: directory + "/second.out")
            #expect(waitForProgram(second) == 0)
            let output = try String(contentsOfFile: directory + "/second.out", encoding: .utf8)
            #expect(output.contains("New data keys:"))

            let fresh = try await fixture.manager(ring)
            let status = try await fresh.status(pool: fixture.pool)
            #expect(status.dataKeys.filter { $0.state == "active" }.map(\.values).reduce(0, +) == 1_500)
            #expect(status.dataKeys.filter { $0.state == "retired" }.allSatisfy { $0.values == 0 })
            #expect(status.dataKeys.count <= 4)
            #expect(try await fresh.verify(pool: fixture.pool).failures.isEmpty)
            for (index, row) in rows.enumerated() where index % 100 == 0 {
                #expect(try await fixture.read(row, manager: fresh) == "value \(index)")
            }
            let events = try await fixture.pool.query(
                "SELECT action, coalesce(subject_id, '-'), cardinality(key_ids), source FROM key_events ORDER BY id"
            )
            let described = try events.map { try $0.decode((String, String, Int, String).self) }
            #expect(described.filter { $0.0 == "rotate-data" }.count >= 2, "\(output) \(described)")
        }
    }
}
