import ArgumentParser
import Foundation
import HavenCore
import HavenService
import HavenStore
import Logging
import Postgres
import Sealing

/// A practice with one counselor, a couple and a completed session, set up through the services.
struct NoteBenchSetup {
    let notes: NoteService
    let actor: StaffActor
    let session: UUID

    static func make(
        ownerURL: String,
        appURL: String,
        keyFile: String
    ) async throws
        -> (NoteBenchSetup, ConnectionPool, ConnectionPool)
    {
        var logger = Logger(label: "haven.bench")
        logger.logLevel = .warning
        let owner = ConnectionPool(
            configuration: try PostgresConfiguration(ownerURL),
            limits: .init(maxConnections: 2),
            logger: logger
        )
        let app = ConnectionPool(
            configuration: try PostgresConfiguration(appURL),
            limits: .init(maxConnections: 1),
            logger: logger
        )
        let keys = KeyManager(ring: try MasterKeyring.load(file: keyFile), logger: logger)
        try await owner.withConnection { try await keys.checkMasterKeys(on: $0) }
        let staff = StaffService(pool: owner, hasher: PasswordHasher(parameters: .init(logN: 10, r: 8, p: 1)))
        let practice = try await staff.createPractice(name: "Bench Practice \(UUID().uuidString.prefix(8))")
        let counselor = try await staff.createStaff(
            .init(
                email: "bench-\(UUID().uuidString.prefix(8).lowercased())@example.test",
                displayName: "Bench Counselor",
                roles: [.counselor],
                password: "bench password 123"
            ),
            practiceID: practice,
            source: "bench"
        )
        let actor = try await staff.openSession(for: counselor, practiceID: practice, source: "bench")
        let charts = ChartService(pool: app, keys: keys)
        let intake = CalendarDate(year: 2026, month: 1, day: 5)!
        let a = try await charts.createClient(.init(legalName: "Partner A", intakeDate: intake), actor: actor)
        let b = try await charts.createClient(.init(legalName: "Partner B", intakeDate: intake), actor: actor)
        let couple = try await charts.createCouple(
            partnerA: a,
            partnerB: b,
            startDate: intake,
            presentingConcerns: "x",
            actor: actor
        )
        let sessions = SessionService(pool: app)
        let session = try await sessions.schedule(
            .couple(couple),
            start: Date(),
            durationMinutes: 60,
            format: .video,
            actor: actor
        )
        try await sessions.setStatus(.completed, session: session, actor: actor)
        return (NoteBenchSetup(notes: NoteService(pool: app, keys: keys), actor: actor, session: session), owner, app)
    }

    static let draft = NoteService.Draft(
        stage: 1,
        step: 2,
        interventions: [.trackingTheCycle],
        body: String(repeating: "Tracked the cycle; reflected the fear under the anger. ", count: 38)
    )
}

/// Runs `operation` repeatedly for `seconds` after a warm-up; prints the rate.
func runTimed(name: String, seconds: Double, _ operation: () async throws -> Void) async throws {
    for _ in 0..<50 { try await operation() }
    let start = ContinuousClock.now
    let deadline = start + .milliseconds(Int(seconds * 1_000))
    var count = 0
    while ContinuousClock.now < deadline {
        try await operation()
        count += 1
    }
    let elapsed = ContinuousClock.now - start
    let elapsedSeconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    print(
        "RESULT \(name) connections=1 ops=\(count) seconds=\(String(format: "%.3f", elapsedSeconds)) rate=\(String(format: "%.1f", Double(count) / elapsedSeconds))"
    )
}

/// Where the note benchmarks run and for how long.
struct NoteBenchOptions: ParsableArguments {
    @Option(help: "libpq URL of the owner role (setup).") var ownerURL: String
    @Option(help: "libpq URL of haven_app (the service).") var appURL: String
    @Option(help: "Master key file (mode 0600).") var keyFile: String
    @Option(help: "How long to run, in seconds.") var seconds = 5.0

    func setUp() async throws -> (NoteBenchSetup, ConnectionPool, ConnectionPool) {
        try await NoteBenchSetup.make(ownerURL: ownerURL, appURL: appURL, keyFile: keyFile)
    }
}

extension HavenBench {
    /// Write-draft of a 2 KiB note through NoteService: seal, insert, audit, RLS context.
    struct NoteWrite: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "note-write", abstract: "Write 2 KiB draft notes.")

        @OptionGroup var options: NoteBenchOptions

        func run() async throws {
            let (setup, owner, app) = try await options.setUp()
            precondition(NoteBenchSetup.draft.body.utf8.count >= 2_048)
            try await runTimed(name: "note-write", seconds: options.seconds) {
                _ = try await setup.notes.writeDraft(NoteBenchSetup.draft, session: setup.session, actor: setup.actor)
            }
            await app.close()
            await owner.close()
        }
    }

    /// Sets up the note benchmarks' practice and prints its counselor's session hash in hex, what
    /// `haven_open_context` takes: `bench core`'s context floor has pgbench open the same context as the
    /// service before its bare statement.
    struct ContextSession: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "context-session",
            abstract: "Print a live counselor session's hash (hex) for pgbench."
        )

        @OptionGroup var options: NoteBenchOptions

        func run() async throws {
            let (setup, owner, app) = try await options.setUp()
            print("session_hash=\(Hex.encode(setup.actor.sessionHash))")
            await app.close()
            await owner.close()
        }
    }

    /// Reading (opening) one note through NoteService.
    struct NoteRead: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "note-read", abstract: "Read notes by id.")

        @OptionGroup var options: NoteBenchOptions

        func run() async throws {
            let (setup, owner, app) = try await options.setUp()
            var ids: [UUID] = []
            for _ in 0..<200 {
                ids.append(
                    try await setup.notes.writeDraft(NoteBenchSetup.draft, session: setup.session, actor: setup.actor)
                        .id
                )
            }
            try await runTimed(name: "note-read", seconds: options.seconds) {
                _ = try await setup.notes.note(ids.randomElement()!, actor: setup.actor)
            }
            await app.close()
            await owner.close()
        }
    }
}
