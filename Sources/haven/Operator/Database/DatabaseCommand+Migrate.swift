import ArgumentParser
import HavenStore

extension DatabaseCommand {
    /// `haven db migrate`.
    struct Migrate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "migrate",
            abstract: "Apply pending migrations, in order, each in its own transaction.",
            discussion: """
                Safe to run at any time and from several places at once: runs hold an advisory lock, \
                and an applied migration is never run again. A migration file that changed after it was \
                applied stops the run before anything is applied.

                Example:
                  HAVEN_OWNER_DATABASE_URL=postgresql://haven@127.0.0.1:5432/haven haven db migrate
                """
        )

        @OptionGroup var database: OwnerDatabaseOptions

        func run() async throws {
            let logger = CommandLogging.logger()
            let migrator = try Migrator(logger: logger)
            let connection = try await database.connect(logger: logger)
            let applied = try await migrator.migrate(on: connection)
            await connection.close()
            if applied.isEmpty {
                print("Database is up to date (\(migrator.migrations.count) migrations).")
            } else {
                for migration in applied { print("Applied \(migration.name)") }
                print("Database is up to date (\(migrator.migrations.count) migrations).")
            }
        }
    }
}
