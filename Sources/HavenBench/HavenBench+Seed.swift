import ArgumentParser
import Foundation
import HavenCore
import HavenService
import HavenStore
import Logging
import Postgres
import Sealing

extension HavenBench {
    /// Seeds a large practice through the bulk path (binary COPY, bodies sealed in process) and times
    /// the caseload listing a counselor opens Haven with.
    struct Seed: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "seed",
            abstract: "Seed counselors, couples, sessions and notes with COPY; time the caseload list."
        )

        @Option(help: "libpq URL of the owner role (seeding).") var ownerURL: String
        @Option(help: "libpq URL of haven_app (the listing, under row-level security).") var appURL: String
        @Option(help: "Master key file (mode 0600).") var keyFile: String
        @Option(help: "Counselors.") var counselors = 50
        @Option(help: "Couples, spread evenly over the counselors.") var couples = 2_000
        @Option(help: "Completed sessions per couple, each with a note (one more is scheduled).")
        var sessionsPerCouple = 50
        @Option(help: "Timed repetitions of the listing.") var repetitions = 20

        func run() async throws {
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

            let clock = ContinuousClock()
            let start = clock.now
            let seeded = try await BulkSeed(counselors: counselors, couples: couples, sessions: sessionsPerCouple)
                .load(owner: owner, keys: keys)
            let seedTime = clock.now - start
            print(
                "RESULT seed counselors=\(counselors) couples=\(couples) sessions=\(seeded.sessions) notes=\(seeded.notes) "
                    + "seconds=\(format(seedTime))"
            )

            let charts = ChartService(pool: app, keys: keys)
            let actor = try await StaffService(pool: owner).openSession(
                for: seeded.firstCounselor,
                practiceID: seeded.practice,
                source: "bench"
            )
            var listed = 0
            for _ in 0..<3 { listed = try await charts.listCouples(actor: actor).count }
            var times: [Duration] = []
            for _ in 0..<repetitions {
                let before = clock.now
                _ = try await charts.listCouples(actor: actor)
                times.append(clock.now - before)
            }
            times.sort()
            print(
                "RESULT caseload-list couples=\(listed) median_ms=\(milliseconds(times[times.count / 2])) "
                    + "max_ms=\(milliseconds(times[times.count - 1]))"
            )
            await app.close()
            await owner.close()
        }

        private func format(_ duration: Duration) -> String {
            String(format: "%.2f", Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18)
        }

        private func milliseconds(_ duration: Duration) -> String {
            String(
                format: "%.2f",
                Double(duration.components.seconds) * 1e3 + Double(duration.components.attoseconds) / 1e15
            )
        }
    }
}
