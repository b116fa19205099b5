import Foundation
import HavenCore
import HavenServiceFixtures
import HavenStore
import HavenTestSupport
import Postgres
import Sealing
import Testing

@testable import HavenService

@Suite("The haven binary's key commands, killed mid-rotation and resumed", .needsTestDatabase, .needsHavenBinary)
struct KeysCommandTests {
    @Test func rotateDataKilledWithSIGKILLThenRunAgainLosesNothing() async throws {
        try await KeyTestFixture.with { fixture in
            let ring = try MasterKeyring.generate()
            let manager = try await fixture.manager(ring)
            var rows: [UUID] = []
            for index in 0..<1_500 {
                rows.append(try await fixture.write("value \(index)", subject: "s\(index % 2)", manager: manager))
            }
            let run = try OperatorRun(ring: ring, configuration: fixture.configuration)
            defer { run.remove() }
            let arguments = ["keys", "rotate-data", "--all", "--batch-size", "5"]

            let originalKeys = try await manager.status(pool: fixture.pool).dataKeys.map(\.id)
            let pid = run.spawn(arguments, output: "first")
            #expect(pid > 0)
            // Killed once it has recorded its rotation and moved a value under the new key: watched, not
            // timed (a fixed 400 ms killed a loaded machine's run before it had begun).
            let killed = try await run.stop(pid) {
                try await fixture.pool.query(
                    """
                    SELECT (SELECT count(*) FROM key_events WHERE action = 'rotate-data') >= 1
                       AND EXISTS (SELECT FROM sealed_test_values WHERE body_key_id <> ALL(\(originalKeys)))
                    """
                )[0].decode(0, as: Bool.self)
            }
            #expect(killed, "the first run finished before it could be killed: \(run.log("first"))")

            // Killed mid-way: every value still opens, under the old or the new key.
            let midway = try await manager.verify(pool: fixture.pool)
            #expect(midway.checked == 1_500)
            #expect(midway.failures.isEmpty)
            let partial = try await manager.status(pool: fixture.pool)
            #expect(partial.dataKeys.filter { $0.state == "active" }.count == 2)

            #expect(waitForProgram(run.spawn(arguments, output: "second")) == 0)
            let output = try run.output("second")
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

    @Test func chartsWithSignedNotesAndAddendaRotateThroughKillsAtSeveralPoints() async throws {
        try await ClinicSetup.with { setup in
            let charts = 6
            var notes: [NoteService.Note] = []
            var addenda: [UUID: [NoteService.Addendum]] = [:]
            for chart in 0..<charts {
                let (first, couple, _, _) = try await setup.completedSession()
                for index in 0..<3 {
                    // One note per session: a signed note's author writes no second one there. Each chart's
                    // sessions take their own hour: the counselor is not double-booked.
                    var session = first
                    if index > 0 {
                        session = try await setup.sessions.schedule(
                            .couple(couple),
                            start: Date(
                                timeIntervalSince1970: 1_790_000_000 + Double(index) * 604_800 + Double(chart) * 7_200
                            ),
                            durationMinutes: 50,
                            format: .video,
                            actor: setup.counselorA
                        )
                        try await setup.sessions.setStatus(.completed, session: session, actor: setup.counselorA)
                    }
                    let draft = NoteService.Draft(
                        stage: 1,
                        step: 2,
                        interventions: [.trackingTheCycle],
                        riskLevel: index == 0 ? .low : RiskLevel.none,
                        riskDetail: index == 0 ? "Risk detail of chart \(chart)." : nil,
                        body: "Chart \(chart), note \(index): mapped the cycle around weekend plans."
                    )
                    let (id, version) = try await setup.notes.writeDraft(
                        draft,
                        session: session,
                        actor: setup.counselorA
                    )
                    // Two signed notes with two addenda each, and one draft, per chart.
                    if index < 2 {
                        _ = try await setup.notes.sign(id, expectedVersion: version, actor: setup.counselorA)
                        for addendum in 0..<2 {
                            _ = try await setup.notes.addAddendum(
                                to: id,
                                reason: "Correction \(addendum)",
                                text: "Chart \(chart), note \(index), addendum \(addendum).",
                                actor: setup.counselorA
                            )
                        }
                        addenda[id] = try await setup.notes.addenda(of: id, actor: setup.counselorA)
                    }
                    notes.append(try await setup.notes.note(id, actor: setup.counselorA))
                }
            }
            let owner = setup.fixture.owner
            let total = try await setup.keys.verify(pool: owner).checked
            // Per chart: presenting concerns, 3 bodies, 1 risk detail, 4 addenda of 2 values each.
            #expect(total == charts * 13)

            let written = notes
            let writtenAddenda = addenda
            /// Every value opens, and every note and addendum reads back exactly as written.
            func expectIntact(_ moment: String) async throws {
                let verification = try await setup.keys.verify(pool: owner)
                #expect(verification.checked == total && verification.failures.isEmpty, "\(moment)")
                for note in written {
                    let read = try await setup.notes.note(note.id, actor: setup.counselorA)
                    #expect(read == note, "\(moment)")
                    if read.signed {
                        #expect(read.contentHash == NoteService.contentHash(of: read), "\(moment)")
                        let readAddenda = try await setup.notes.addenda(of: note.id, actor: setup.counselorA)
                        #expect(readAddenda == writtenAddenda[note.id], "\(moment)")
                    }
                }
            }

            let run = try OperatorRun(ring: setup.keys.ring, configuration: owner.configuration)
            defer { run.remove() }
            let arguments = ["keys", "rotate-data", "--all", "--batch-size", "1"]
            let originalKeys = try await setup.keys.status(pool: owner).dataKeys.map(\.id)
            /// Signed-note and addendum bodies already under a new key (7 per chart).
            @Sendable func moved() async throws -> Int {
                try await owner.query(
                    """
                    SELECT (SELECT count(*) FROM progress_notes WHERE body_key_id <> ALL(\(originalKeys)))
                         + (SELECT count(*) FROM note_addenda WHERE body_key_id <> ALL(\(originalKeys)))
                    """
                )[0].decode(0, as: Int.self)
            }
            // Kill part-way through the 1st chart's addenda, part-way through the 3rd chart (after a run
            // that resumed the 1st and did the 2nd), and right after the 5th chart's new key.
            let killPoints: [@Sendable () async throws -> Bool] = [
                { try await moved() >= 3 },
                { try await moved() >= 2 * 7 + 3 },
                { try await Self.rotationsStarted(owner) >= 5 },
            ]
            for (round, condition) in killPoints.enumerated() {
                let pid = run.spawn(arguments, output: "run\(round)")
                let killed = try await run.stop(pid, when: condition)
                #expect(killed, "run \(round) finished before it could be killed: \(run.log("run\(round)"))")
                try await expectIntact("after kill \(round)")
                let status = try run.run(["keys", "status", "--json"])
                #expect(status.status == 0, "\(status)")
                #expect(status.stdout.contains("\"pending\" : true"), "\(status)")
            }
            let last = run.spawn(arguments, output: "last")
            #expect(waitForProgram(last) == 0, "\(run.log("last"))")
            #expect(try run.output("last").contains("subjects already had their new key"))
            try await expectIntact("after the last run")

            let status = try await setup.keys.status(pool: owner)
            let chartKeys = status.dataKeys.filter { $0.subject.hasPrefix("couple:") }
            #expect(chartKeys.filter { $0.state == "active" }.count == charts)
            #expect(chartKeys.filter { $0.state == "active" }.map(\.values).reduce(0, +) == total)
            #expect(status.unfinishedRotations.isEmpty)
            #expect(chartKeys.count == 2 * charts, "one new key per chart, however often the run was killed")
        }
    }

    @Test func aSubjectThatFailsIsNamedAndTheRunGoesOnWithTheOthers() async throws {
        try await KeyTestFixture.with { fixture in
            let ring = try MasterKeyring.generate()
            let manager = try await fixture.manager(ring)
            var refused: UUID?
            for index in 0..<9 {
                let row = try await fixture.write("value \(index)", subject: "s\(index % 3)", manager: manager)
                if index == 4 { refused = row }
            }
            let refusedRow = try #require(refused).uuidString.lowercased()
            // A trigger that refuses one row's re-encryption, as a frozen record's did before 0026.
            try await fixture.pool.withConnection { connection in
                try await connection.executeScript(
                    """
                    CREATE FUNCTION refuse_one() RETURNS trigger LANGUAGE plpgsql AS $$
                    BEGIN
                        IF OLD.id = '\(refusedRow)' THEN
                            RAISE EXCEPTION 'frozen' USING ERRCODE = 'check_violation', CONSTRAINT = 'test_frozen';
                        END IF;
                        RETURN NEW;
                    END $$;
                    CREATE TRIGGER refuse_one BEFORE UPDATE ON sealed_test_values
                        FOR EACH ROW EXECUTE FUNCTION refuse_one();
                    """
                )
            }
            let run = try OperatorRun(ring: ring, configuration: fixture.configuration)
            defer { run.remove() }
            let result = try run.run(["keys", "rotate-data", "--all", "--batch-size", "2"])
            #expect(result.status == 2, "\(result)")
            #expect(
                result.stderr.contains(
                    "rotation of test:s1 at sealed_test_values.body row \(refusedRow): check violation "
                        + "(SQLSTATE 23514, constraint test_frozen)"
                ),
                "\(result)"
            )
            #expect(result.stdout.contains("'haven keys status' shows what is left"), "\(result)")

            // The other subjects were finished; the failed one is pending and every value still opens.
            let status = try await manager.status(pool: fixture.pool)
            #expect(status.unfinishedRotations.map(\.subject) == ["test:s1"])
            #expect(status.unfinishedRotations.first?.pending == true)
            #expect((1...3).contains(status.unfinishedRotations.first?.values ?? 0))
            #expect(try await manager.verify(pool: fixture.pool).failures.isEmpty)
            let shown = try run.run(["keys", "status"])
            #expect(shown.stdout.contains("Left to rotate"), "\(shown)")
            #expect(shown.stdout.contains("test:s1"), "\(shown)")

            // With the cause gone, the next run finishes the failed subject and re-keys no other.
            try await fixture.pool.query("DROP TRIGGER refuse_one ON sealed_test_values")
            let again = try run.run(["keys", "rotate-data", "--all"])
            #expect(again.status == 0, "\(again)")
            #expect(again.stdout.contains("2 subjects already had their new key"), "\(again)")
            let finished = try await manager.status(pool: fixture.pool)
            #expect(finished.unfinishedRotations.isEmpty)
            #expect(finished.dataKeys.count == 6)
        }
    }

    private static func rotationsStarted(_ pool: ConnectionPool) async throws -> Int {
        try await pool.query("SELECT count(*) FROM key_events WHERE action = 'rotate-data'")[0].decode(0, as: Int.self)
    }
}
