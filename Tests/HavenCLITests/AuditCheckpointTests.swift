import Foundation
import HavenService
import HavenServiceFixtures
import HavenStore
import HavenTestSupport
import Postgres
import Sealing
import Testing

@Suite(
    "Audit checkpoints: truncation, rewrites and forged checkpoints are caught",
    .needsTestDatabase,
    .needsHavenBinary
)
struct AuditCheckpointTests {
    /// A practice with some audited activity, a checkpoint of its chain in `checkpoint.json`, and the
    /// operator's `haven` pointed at both.
    private struct Checkpointed {
        let setup: ClinicSetup
        let run: OperatorRun
        let path: String
        let seq: Int

        var owner: ConnectionPool { setup.fixture.owner }
        var practiceID: UUID { setup.fixture.practiceID }

        func verify(_ extra: [String] = []) throws -> HavenCLI.Result {
            try run.run(["audit", "verify", "--checkpoint", path] + extra)
        }

        /// Runs `sql` as the tables' owner with the append-only triggers off, as an attacker with
        /// owner or superuser access would.
        func tamper(_ sql: PostgresQuery) async throws {
            try await owner.withConnection { connection in
                try await connection.execute("ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update_or_delete")
                try await connection.execute(sql)
                try await connection.execute("ALTER TABLE audit_log ENABLE TRIGGER audit_log_no_update_or_delete")
            }
        }
    }

    private func checkpointed(_ body: (Checkpointed) async throws -> Void) async throws {
        try await ClinicSetup.with { setup in
            _ = try await setup.couple()
            _ = try await setup.couple()
            let run = try OperatorRun(ring: setup.keys.ring, configuration: setup.fixture.owner.configuration)
            defer { run.remove() }
            let path = run.directory + "/checkpoint.json"
            let result = try run.run(["audit", "checkpoint", "--out", path])
            #expect(result.status == 0, "\(result)")
            let checkpoint = try AuditCheckpoint(fileData: try Data(contentsOf: URL(fileURLWithPath: path)))
            #expect(checkpoint.seq >= 4 && checkpoint.practiceID == setup.fixture.practiceID)
            #expect(result.stdout.contains("Checkpoint of seq \(checkpoint.seq) written to \(path)."))
            // The log line carries the same head, outside the database.
            #expect(result.stderr.contains("audit checkpoint"), "\(result)")
            #expect(result.stderr.contains("audit.seq=\(checkpoint.seq)"), "\(result)")
            #expect(result.stderr.contains("audit.mac=\(checkpoint.mac)"), "\(result)")
            // Later entries do not disturb it.
            _ = try await setup.couple()
            try await body(Checkpointed(setup: setup, run: run, path: path, seq: checkpoint.seq))
        }
    }

    @Test func anIntactChainHoldsItsCheckpoint() async throws {
        try await checkpointed { state in
            let result = try state.verify()
            #expect(result.status == 0, "\(result)")
            #expect(result.stdout.contains("holds the checkpoint \(state.path) (seq \(state.seq)"), "\(result)")
        }
    }

    @Test func deletingTheTailIsCaught() async throws {
        try await checkpointed { state in
            try await state.tamper(
                "DELETE FROM audit_log WHERE practice_id = \(state.practiceID) AND seq > \(state.seq - 2)"
            )
            // The chain alone still verifies: nothing before the cut was touched.
            let plain = try state.run.run(["audit", "verify"])
            #expect(plain.status == 0, "\(plain)")
            let result = try state.verify()
            #expect(result.status == 2, "\(result)")
            #expect(
                result.stderr.contains(
                    "the audit log ends at seq \(state.seq - 2) but the checkpoint \(state.path) (seq \(state.seq)"
                ),
                "\(result)"
            )
            #expect(result.stderr.contains("entries \(state.seq - 1) to \(state.seq) were deleted"), "\(result)")
        }
    }

    @Test func anEntryEditedWithEveryLaterHashRecomputedIsCaught() async throws {
        try await checkpointed { state in
            // Rewrite entry 2 and re-chain everything after it, as someone with owner access could.
            let entries = try await state.owner.withConnection { connection in
                try await AuditStore.list(AuditStore.Filter(practiceID: state.practiceID), on: connection)
            }
            var previous = entries[0].hash
            for stored in entries.dropFirst() {
                var entry = stored.entry
                if stored.seq == 2 { entry.action = "note.read" }
                let hash = entry.hash(seq: stored.seq, previousHash: previous)
                try await state.tamper(
                    """
                    UPDATE audit_log SET action = \(entry.action), previous_hash = \(previous), hash = \(hash)
                    WHERE practice_id = \(state.practiceID) AND seq = \(stored.seq)
                    """
                )
                previous = hash
            }
            let plain = try state.run.run(["audit", "verify"])
            #expect(plain.status == 0, "the rewritten chain verifies on its own: \(plain)")
            let result = try state.verify()
            #expect(result.status == 2, "\(result)")
            #expect(result.stderr.contains("audit entry \(state.seq) does not match the checkpoint"), "\(result)")
            #expect(result.stderr.contains("the chain was rewritten"), "\(result)")
        }
    }

    @Test func aForgedOrAlteredCheckpointIsRefused() async throws {
        try await checkpointed { state in
            let original = try AuditCheckpoint(fileData: try Data(contentsOf: URL(fileURLWithPath: state.path)))
            // Moved back to an earlier, genuine head (to hide a truncation), without the master key.
            let earlier = try await state.owner.withConnection { connection in
                try await AuditStore.list(
                    AuditStore.Filter(practiceID: state.practiceID, afterSeq: 2, limit: 1),
                    on: connection
                )[0]
            }
            var moved = original
            moved.seq = earlier.seq
            moved.hash = Hex.encode(earlier.hash)
            // Made afresh under another master key.
            let other = try AuditCheckpoint(
                practiceID: state.practiceID,
                seq: earlier.seq,
                hash: earlier.hash,
                takenAt: Date(),
                ring: try MasterKeyring.generate()
            )
            var flipped = original
            flipped.mac = String(original.mac.reversed())
            for forged in [moved, other, flipped] {
                try forged.fileData().write(to: URL(fileURLWithPath: state.path))
                let result = try state.verify()
                #expect(result.status == 2, "\(result)")
                #expect(result.stderr.contains("the checkpoint \(state.path) is not authentic"), "\(result)")
            }
            try Data("{\"seq\": 3}".utf8).write(to: URL(fileURLWithPath: state.path))
            let garbled = try state.verify()
            #expect(garbled.status == 2 && garbled.stderr.contains("not a Haven audit checkpoint"), "\(garbled)")
            let missing = try state.run.run(["audit", "verify", "--checkpoint", state.path + ".missing"])
            #expect(missing.status == 1 && missing.stderr.contains("--checkpoint: cannot read"), "\(missing)")
            // The genuine file still verifies.
            try original.fileData().write(to: URL(fileURLWithPath: state.path))
            #expect(try state.verify().status == 0)
        }
    }
}
