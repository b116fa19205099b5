import Foundation
import HavenService
import HavenServiceFixtures
import HavenStore
import HavenTestSupport
import Postgres
import Sealing
import Testing

@Suite("Data keys in the database: sealing, rotation, verification, shredding", .needsTestDatabase)
struct KeyManagerTests {
    @Test func sealedValuesRoundTripAndKeysAreCountedPerValue() async throws {
        try await KeyTestFixture.with { fixture in
            let manager = try await fixture.manager(try MasterKeyring.generate())
            let first = try await fixture.write("Partner A: afraid of being left.", subject: "s1", manager: manager)
            let second = try await fixture.write("", subject: "s1", manager: manager)
            try await fixture.write("other subject", subject: "s2", manager: manager)
            #expect(try await fixture.read(first, manager: manager) == "Partner A: afraid of being left.")
            #expect(try await fixture.read(second, manager: manager) == "")
            let status = try await manager.status(pool: fixture.pool)
            #expect(status.dataKeys.count == 2)
            #expect(status.dataKeys.map(\.values).sorted() == [1, 2])
            #expect(status.dataKeys.allSatisfy { $0.state == "active" && $0.masterKeyVersion == 1 })
            // The stored bytes are not the plaintext.
            let raw = try await fixture.pool.query("SELECT body FROM sealed_test_values WHERE id = \(first)")
            let stored = try raw[0].decode(0, as: [UInt8].self)
            #expect(!String(decoding: stored, as: UTF8.self).contains("afraid"))
        }
    }

    @Test func aValueCopiedIntoAnotherRowFailsToOpen() async throws {
        try await KeyTestFixture.with { fixture in
            let manager = try await fixture.manager(try MasterKeyring.generate())
            let source = try await fixture.write("secret", subject: "s1", manager: manager)
            let target = try await fixture.write("decoy", subject: "s1", manager: manager)
            try await fixture.pool.query(
                """
                UPDATE sealed_test_values SET body = (SELECT body FROM sealed_test_values WHERE id = \(source))
                WHERE id = \(target)
                """
            )
            await #expect(throws: SealingError(.authenticationFailed)) {
                try await fixture.read(target, manager: manager)
            }
        }
    }

    @Test func aWrongOrMissingMasterKeyIsAClearErrorAtStartup() async throws {
        try await KeyTestFixture.with { fixture in
            let ring = try MasterKeyring.generate()
            let manager = try await fixture.manager(ring)
            try await fixture.write("x", subject: "s1", manager: manager)
            let wrong = await #expect(throws: SealingError.self) {
                try await fixture.manager(try MasterKeyring.generate())
            }
            #expect(wrong?.kind == .masterKey)
            #expect(wrong?.description.contains("does not match") == true)
            let rotated = try await fixture.manager(try ring.addingNewVersion())
            _ = try await rotated.rotateMaster(pool: fixture.pool)
            let old = await #expect(throws: SealingError.self) { try await fixture.manager(ring) }
            #expect(old?.kind == .masterKey)
        }
    }

    @Test func masterRotationUnderConcurrentWritersLeavesEverythingReadable() async throws {
        try await KeyTestFixture.with { fixture in
            let ring = try MasterKeyring.generate()
            let before = try await fixture.manager(ring)
            var rows: [UUID] = []
            for index in 0..<60 {
                rows.append(try await fixture.write("value \(index)", subject: "s\(index % 12)", manager: before))
            }
            let newRing = try ring.addingNewVersion()
            let after = try await fixture.manager(newRing)
            let written = try await withThrowingTaskGroup(of: [UUID].self) { group in
                group.addTask {
                    _ = try await after.rotateMaster(pool: fixture.pool, batchSize: 3)
                    return []
                }
                for writer in 0..<3 {
                    group.addTask {
                        var mine: [UUID] = []
                        for index in 0..<15 {
                            mine.append(
                                try await fixture.write(
                                    "new \(writer)-\(index)",
                                    subject: "w\(writer)-\(index % 4)",
                                    manager: after
                                )
                            )
                        }
                        return mine
                    }
                }
                return try await group.reduce(into: [UUID]()) { $0 += $1 }
            }
            let fresh = try await fixture.manager(try MasterKeyring(keys: [2: newRing.keys[2]!]))
            for (index, row) in rows.enumerated() {
                #expect(try await fixture.read(row, manager: fresh) == "value \(index)")
            }
            #expect(written.count == 45)
            for row in written { #expect(try await fixture.read(row, manager: fresh).hasPrefix("new ")) }
            let status = try await fresh.status(pool: fixture.pool)
            #expect(status.dataKeys.allSatisfy { $0.masterKeyVersion == 2 })
            #expect(status.minimumMasterKeyVersion == 2)
        }
    }

    @Test func dataRotationUnderConcurrentWritersReencryptsEverything() async throws {
        try await KeyTestFixture.with { fixture in
            let manager = try await fixture.manager(try MasterKeyring.generate())
            var rows: [UUID] = []
            for index in 0..<120 {
                rows.append(try await fixture.write("v\(index)", subject: "s\(index % 3)", manager: manager))
            }
            let existing = rows
            let report = try await withThrowingTaskGroup(of: KeyManager.DataRotationReport?.self) { group in
                group.addTask { try await manager.rotateData(subject: nil, pool: fixture.pool, batchSize: 7) }
                group.addTask {
                    // Rewrite some existing rows and add new ones while the rotation runs.
                    for index in stride(from: 0, to: 120, by: 5) {
                        try await fixture.write(
                            "v\(index)",
                            subject: "s\(index % 3)",
                            manager: manager,
                            rowID: existing[index]
                        )
                    }
                    return nil
                }
                var result: KeyManager.DataRotationReport?
                for try await value in group where value != nil { result = value }
                return result!
            }
            #expect(report.newKeys == 3)
            #expect(report.reencrypted + report.skipped >= 96)
            let fresh = try await fixture.manager(manager.ring)
            for (index, row) in rows.enumerated() {
                #expect(try await fixture.read(row, manager: fresh) == "v\(index)")
            }
            let status = try await fresh.status(pool: fixture.pool)
            #expect(status.dataKeys.filter { $0.state == "retired" }.allSatisfy { $0.values == 0 })
            #expect(status.dataKeys.filter { $0.state == "active" }.map(\.values).reduce(0, +) == 120)
            #expect(try await fresh.verify(pool: fixture.pool).failures.isEmpty)
        }
    }

    @Test func anInterruptedDataRotationResumesWithoutANewKey() async throws {
        try await KeyTestFixture.with { fixture in
            let manager = try await fixture.manager(try MasterKeyring.generate())
            var rows: [UUID] = []
            for index in 0..<200 {
                rows.append(try await fixture.write("v\(index)", subject: "only", manager: manager))
            }
            let subject = KeySubject(kind: .test, id: "only")
            let partial = try await manager.rotateData(
                subject: subject,
                pool: fixture.pool,
                batchSize: 50,
                maxBatches: 2
            )
            #expect(partial.newKeys == 1 && partial.reencrypted == 100)
            // Mid-rotation, everything still opens (retired keys still open their values).
            let midway = try await manager.verify(pool: fixture.pool)
            #expect(midway.checked == 200 && midway.failures.isEmpty)
            let resumed = try await manager.rotateData(subject: subject, pool: fixture.pool, batchSize: 50)
            #expect(resumed.newKeys == 0)
            #expect(resumed.reencrypted == 100)
            let status = try await manager.status(pool: fixture.pool)
            #expect(status.dataKeys.count == 2)
            #expect(status.dataKeys.first { $0.state == "active" }?.values == 200)
            for (index, row) in rows.enumerated() where index % 20 == 0 {
                #expect(try await fixture.read(row, manager: manager) == "v\(index)")
            }
        }
    }

    @Test func aFinishedRotationIsNeverMistakenForAnInterruptedOne() async throws {
        try await KeyTestFixture.with { fixture in
            let manager = try await fixture.manager(try MasterKeyring.generate())
            for index in 0..<20 { try await fixture.write("v\(index)", subject: "s", manager: manager) }
            let subject = KeySubject(kind: .test, id: "s")
            let first = try await manager.rotateData(subject: subject, pool: fixture.pool, batchSize: 7)
            #expect(first.newKeys == 1 && first.reencrypted == 20 && first.leftOnRetiredKeys == 0)
            let second = try await manager.rotateData(subject: subject, pool: fixture.pool, batchSize: 7)
            #expect(second.newKeys == 1 && second.reencrypted == 20)
            let status = try await manager.status(pool: fixture.pool)
            #expect(status.dataKeys.map(\.state).sorted() == ["active", "retired", "retired"])
        }
    }

    @Test func aSubjectShreddedDuringARotationStaysErased() async throws {
        try await KeyTestFixture.with { fixture in
            let ring = try MasterKeyring.generate()
            let manager = try await fixture.manager(ring)
            var rows: [UUID] = []
            for index in 0..<40 { rows.append(try await fixture.write("v\(index)", subject: "gone", manager: manager)) }
            let subject = KeySubject(kind: .test, id: "gone")
            _ = try await manager.rotateData(subject: subject, pool: fixture.pool, batchSize: 10, maxBatches: 1)
            // Another process shreds the subject while this one still has its keys cached.
            let other = try await fixture.manager(ring)
            #expect(try await other.shred(subject: subject, pool: fixture.pool) == 2)
            let resumed = try await manager.rotateData(subject: nil, pool: fixture.pool, batchSize: 10)
            #expect(resumed.reencrypted == 0 && resumed.newKeys == 0)
            let keys = try await fixture.pool.query("SELECT count(*) FROM data_keys WHERE wrapped_key IS NOT NULL")
            #expect(try keys[0].decode(0, as: Int.self) == 0)
            let fresh = try await fixture.manager(ring)
            for row in rows.prefix(5) {
                await #expect(throws: SealingError(.keyShredded)) { try await fixture.read(row, manager: fresh) }
            }
        }
    }

    @Test func verifyFindsAValueCorruptedByHand() async throws {
        try await KeyTestFixture.with { fixture in
            let manager = try await fixture.manager(try MasterKeyring.generate())
            for index in 0..<10 { try await fixture.write("v\(index)", subject: "s", manager: manager) }
            let victim = try await fixture.write("victim", subject: "s", manager: manager)
            // Every bit of one ciphertext byte flipped: writing a fixed 0xff left the value intact
            // when that byte already was 0xff (one run in 256; it failed a CI run so).
            try await fixture.pool.query(
                "UPDATE sealed_test_values SET body = set_byte(body, 39, get_byte(body, 39) # 255) WHERE id = \(victim)"
            )
            let report = try await manager.verify(pool: fixture.pool)
            #expect(report.checked == 11)
            #expect(
                report.failures == [
                    .init(
                        table: "sealed_test_values",
                        column: "body",
                        rowID: victim.uuidString.lowercased(),
                        reason: SealingError.Kind.authenticationFailed.rawValue
                    )
                ]
            )
        }
    }

    @Test func shreddingOneSubjectLeavesOthersReadable() async throws {
        try await KeyTestFixture.with { fixture in
            let ring = try MasterKeyring.generate()
            let manager = try await fixture.manager(ring)
            let doomed = try await fixture.write("erase me", subject: "leaving", manager: manager)
            let kept = try await fixture.write("keep me", subject: "staying", manager: manager)
            #expect(try await manager.shred(subject: KeySubject(kind: .test, id: "leaving"), pool: fixture.pool) == 1)
            await #expect(throws: SealingError(.keyShredded)) { try await fixture.read(doomed, manager: manager) }
            let fresh = try await fixture.manager(ring)
            await #expect(throws: SealingError(.keyShredded)) { try await fixture.read(doomed, manager: fresh) }
            #expect(try await fixture.read(kept, manager: fresh) == "keep me")
            let report = try await fresh.verify(pool: fixture.pool)
            #expect(report.failures.map(\.reason) == [SealingError.Kind.keyShredded.rawValue])
            let wrapped = try await fixture.pool.query(
                "SELECT count(*) FROM data_keys WHERE subject_id = 'leaving' AND wrapped_key IS NOT NULL"
            )
            #expect(try wrapped[0].decode(0, as: Int.self) == 0)
            // The shred is on record, with ids only, and the record cannot be edited or removed.
            let events = try await fixture.pool.query(
                "SELECT subject_id, cardinality(key_ids) FROM key_events WHERE action = 'shred'"
            )
            #expect(try events.map { try $0.decode((String, Int).self) }.map(\.0) == ["leaving"])
            let edit = await #expect(throws: PostgresError.self) {
                try await fixture.pool.query("UPDATE key_events SET subject_id = 'someone-else'")
            }
            #expect(edit?.code == .insufficientPrivilege)
            await #expect(throws: PostgresError.self) { try await fixture.pool.query("DELETE FROM key_events") }
        }
    }

    @Test func theKeyCacheIsBounded() async throws {
        try await KeyTestFixture.with { fixture in
            let manager = try await fixture.manager(try MasterKeyring.generate(), cacheCapacity: 4)
            var rows: [UUID] = []
            for index in 0..<10 {
                rows.append(try await fixture.write("v\(index)", subject: "s\(index)", manager: manager))
            }
            #expect(manager.cachedKeyCount <= 4)
            for (index, row) in rows.enumerated() {
                #expect(try await fixture.read(row, manager: manager) == "v\(index)")
            }
            #expect(manager.cachedKeyCount <= 4)
        }
    }
}
