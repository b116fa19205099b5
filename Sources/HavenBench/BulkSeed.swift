import Foundation
import HavenCore
import HavenService
import HavenStore
import Postgres
import Sealing

/// A large fictional practice loaded through the bulk path: rows streamed with binary COPY as the
/// owner role, note bodies sealed in process under each couple's data key, exactly as the service
/// seals them. Notes are drafts that record a risk level, as the note form asks (signing needs one, so a
/// real chart's notes nearly all have it); each couple moves through the EFT steps at its own pace.
struct BulkSeed {
    let counselors: Int
    let couples: Int
    let sessions: Int

    struct Loaded {
        var practice: UUID
        var firstCounselor: UUID
        var sessions: Int
        var notes: Int
    }

    private static let body = String(
        repeating: "Tracked the pursue-withdraw cycle around weekend plans; reflected the fear under the anger. ",
        count: 6
    )

    private struct SessionRow: Sendable {
        var id: UUID
        var couple: UUID
        var counselor: UUID
        var start: Date
        var completed: Bool
        var attendees: [UUID]
    }

    private struct NoteRow: Sendable {
        var id: UUID
        var session: UUID
        var counselor: UUID
        var couple: UUID
        var step: Int
        var risk: String
        var body: [UInt8]
        var keyID: UUID
    }

    /// Binary COPY cannot write into a table under row-level security, so rows are copied into a
    /// staging table shaped like the target (defaults and generated columns included) and moved with
    /// one INSERT ... SELECT, which the owner's policies allow and which fires the target's triggers.
    private static func bulkInsert(
        _ connection: isolated PostgresConnection,
        table: String,
        columns: [String],
        _ rows: @Sendable (inout PostgresCopyWriter) throws -> Void
    ) throws {
        let staging = "bulk_\(table)"
        let list = columns.joined(separator: ", ")
        try connection.executeScript(
            "CREATE UNLOGGED TABLE \(staging) (LIKE \(table) INCLUDING DEFAULTS INCLUDING GENERATED)"
        )
        _ = try connection.copyFrom(table: staging, columns: columns, rows)
        try connection.executeScript(
            "INSERT INTO \(table) (\(list)) SELECT \(list) FROM \(staging); DROP TABLE \(staging)"
        )
    }

    func load(owner: ConnectionPool, keys: KeyManager) async throws -> Loaded {
        let hasher = PasswordHasher(parameters: .init(logN: 10, r: 8, p: 1))
        let passwordHash = try await hasher.hash("bench password 123")
        let practice = try await StaffService(pool: owner, hasher: hasher).createPractice(name: "Bench Practice")
        let staff = (0..<counselors).map { _ in UUID() }
        let clients = (0..<(2 * couples)).map { _ in UUID() }
        let coupleIDs = (0..<couples).map { _ in UUID() }
        let intake = CalendarDate(year: 2025, month: 1, day: 6)!
        let firstSession = Date(timeIntervalSince1970: 1_736_150_400)  // 2025-01-06
        let week = 7 * 86_400.0
        let (counselors, sessions) = (self.counselors, self.sessions)

        // Session and note rows, with the bodies sealed before the COPY (it cannot await).
        let (sessionRows, noteRows) = try await owner.withConnection { connection in
            var sessionRows: [SessionRow] = []
            var noteRows: [NoteRow] = []
            sessionRows.reserveCapacity(coupleIDs.count * (sessions + 1))
            noteRows.reserveCapacity(coupleIDs.count * sessions)
            for (index, couple) in coupleIDs.enumerated() {
                let counselor = staff[index % counselors]
                let subject = KeySubject(kind: .couple, id: couple.uuidString.lowercased())
                // Couples move at different paces: 0.1 to 0.3 steps per session.
                let pace = 0.1 + Double(index % 21) / 100
                // The couple's own weekly hour with its counselor (eight a day from 08:00), so no two of a
                // counselor's sessions overlap (the calendar refuses that).
                let slot = index / counselors
                let hour = Double(slot / 8) * 86_400 + Double(8 + slot % 8) * 3_600
                let nextWeek = (Date().timeIntervalSince1970 / 86_400).rounded(.down) * 86_400 + week
                for number in 0...sessions {
                    let session = UUID()
                    let completed = number < sessions
                    let start =
                        completed
                        ? firstSession.addingTimeInterval(Double(number) * week + hour)
                        : Date(timeIntervalSince1970: nextWeek + hour)
                    sessionRows.append(
                        SessionRow(
                            id: session,
                            couple: couple,
                            counselor: counselor,
                            start: start,
                            completed: completed,
                            attendees: completed ? [clients[2 * index], clients[2 * index + 1]] : []
                        )
                    )
                    guard completed else { continue }
                    let step = min(9, 1 + Int(Double(number) * pace))
                    let note = UUID()
                    let sealed = try await keys.seal(
                        Self.body,
                        practiceID: practice,
                        at: SealedPlace(subject: subject, table: "progress_notes", column: "body", rowID: note),
                        on: connection
                    )
                    noteRows.append(
                        NoteRow(
                            id: note,
                            session: session,
                            counselor: counselor,
                            couple: couple,
                            step: step,
                            risk: number % 9 == 8 ? "low" : "none",
                            body: sealed.sealed,
                            keyID: sealed.keyID
                        )
                    )
                }
            }
            return (sessionRows, noteRows)
        }
        try await owner.withConnection { connection in
            try await connection.transaction { connection in
                try Self.bulkInsert(
                    connection,
                    table: "staff",
                    columns: ["id", "practice_id", "email", "display_name", "roles", "password_hash"]
                ) { writer in
                    for (index, id) in staff.enumerated() {
                        try writer.append([
                            id, practice, "counselor\(index)@bench.example", "Counselor \(index)", ["counselor"],
                            passwordHash,
                        ])
                    }
                }
                try Self.bulkInsert(
                    connection,
                    table: "clients",
                    columns: ["id", "practice_id", "legal_name", "intake_date", "primary_counselor_id"]
                ) { writer in
                    for (index, id) in clients.enumerated() {
                        try writer.append([id, practice, "Client \(index)", intake, staff[(index / 2) % counselors]])
                    }
                }
                try Self.bulkInsert(
                    connection,
                    table: "couples",
                    columns: ["id", "practice_id", "partner_a_id", "partner_b_id", "counselor_id", "start_date"]
                ) { writer in
                    for (index, id) in coupleIDs.enumerated() {
                        try writer.append([
                            id, practice, clients[2 * index], clients[2 * index + 1], staff[index % counselors], intake,
                        ])
                    }
                }
                // The slot guard (a trigger) plans its look-up from the table's statistics: a first slice,
                // then ANALYZE, so the rest reads the counselor's index rather than the whole table per row.
                let firstSlice = min(sessionRows.count, 2_000)
                for slice in [sessionRows[..<firstSlice], sessionRows[firstSlice...]] {
                    try Self.bulkInsert(
                        connection,
                        table: "therapy_sessions",
                        columns: [
                            "id", "practice_id", "couple_id", "counselor_id", "scheduled_start", "duration_minutes",
                            "format", "session_type", "status", "attendee_ids",
                        ]
                    ) { writer in
                        for row in slice {
                            try writer.append([
                                row.id, practice, row.couple, row.counselor, row.start, Int32(50), "in_person",
                                "conjoint", row.completed ? "completed" : "scheduled", row.attendees,
                            ])
                        }
                    }
                    try connection.executeScript("ANALYZE therapy_sessions")
                }
                try Self.bulkInsert(
                    connection,
                    table: "progress_notes",
                    columns: [
                        "id", "practice_id", "session_id", "author_id", "counselor_id", "chart_kind", "chart_id",
                        "stage",
                        "step", "interventions", "risk_level", "body", "body_key_id",
                    ]
                ) { writer in
                    for row in noteRows {
                        let stage = row.step <= 4 ? 1 : row.step <= 7 ? 2 : 3
                        try writer.append([
                            row.id, practice, row.session, row.counselor, row.counselor, "couple", row.couple,
                            Int16(stage), Int16(row.step), ["tracking_the_cycle", "reflecting_emotion"], row.risk,
                            row.body, row.keyID,
                        ])
                    }
                }
            }
            try await connection.executeScript(
                "ANALYZE staff; ANALYZE clients; ANALYZE couples; ANALYZE therapy_sessions; ANALYZE progress_notes;"
            )
        }
        return Loaded(practice: practice, firstCounselor: staff[0], sessions: sessionRows.count, notes: noteRows.count)
    }
}
