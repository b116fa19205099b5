import ArgumentParser
import Foundation
import HavenCore
import HavenService
import Postgres
import Sealing

/// `haven demo seed`: the fictional demo practice `scripts/start` shows.
struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Seed a fictional demo practice (operators; used by scripts/start).",
        subcommands: [Seed.self]
    )

    struct Seed: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "seed",
            abstract: "Create the demo practice once: staff, six couples at different EFT stages, their history.",
            discussion: """
                Runs through the same services as every other command, so notes are sealed and every action \
                is audited. Needs the owner URL (staff), HAVEN_DATABASE_URL (the clinical work, as haven_app) \
                and the master key. Does nothing if the demo practice exists.

                Example:
                  haven demo seed --password-file .haven/demo.pw
                """
        )

        @OptionGroup var database: OwnerDatabaseOptions
        @OptionGroup var keyOptions: MasterKeyOptions
        @Option(help: "File holding the demo staff's password (one line, 12+ characters).") var passwordFile: String

        func run() async throws {
            let password = try readPasswordFile(passwordFile)
            let clock = ContinuousClock()
            let started = clock.now
            let ring = try keyOptions.load()
            let logger = CommandLogging.logger()
            let seeded = try await Operator.with(database) { op -> DemoSeeder.Summary? in
                let staffService = StaffService(pool: op.pool)
                if try await staffService.practices().contains(where: { $0.name == DemoData.practiceName }) {
                    return nil
                }
                let keys = KeyManager(ring: ring, logger: logger)
                try await op.pool.withConnection { try await keys.checkMasterKeys(on: $0) }
                let app = ConnectionPool(
                    configuration: try AppDatabaseOptions.configuration(url: nil),
                    limits: .init(maxConnections: 2),
                    logger: logger
                )
                do {
                    let summary = try await DemoSeeder(owner: op.pool, app: app, keys: keys, password: password).seed()
                    await app.close()
                    return summary
                } catch {
                    await app.close()
                    throw error
                }
            }
            guard let seeded else {
                print("The demo practice is already seeded.")
                return
            }
            let elapsed = clock.now - started
            print(
                "Seeded \(DemoData.practiceName): \(seeded.staff) staff, \(seeded.couples) couples, \(seeded.sessions) sessions, "
                    + "\(seeded.notes) notes, \(seeded.homework) homework assignments, \(seeded.measures) CSI-4 scores "
                    + "in \(elapsed.formatted(.units(allowed: [.seconds, .milliseconds], width: .narrow)))."
            )
        }
    }
}
