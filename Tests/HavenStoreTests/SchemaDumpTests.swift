import Foundation
import HavenStore
import HavenTestSupport
import Postgres
import Testing

@Suite("sql/schema.sql is the schema of a freshly migrated database")
struct SchemaDumpTests {
    /// Migrates an empty database, dumps its schema the way `scripts/schema-dump` does and compares it
    /// with the committed file. With `HAVEN_UPDATE_SCHEMA=1` (what `scripts/schema-dump` sets) it writes
    /// the file instead.
    @Test(.needsTestDatabase, .needsPgDump) func committedSchemaMatchesTheMigrations() async throws {
        let environment = ProcessInfo.processInfo.environment
        let pgDump = try #require(environment["HAVEN_TEST_PG_DUMP"])
        let schema = try await TestDatabase.with(migrated: false) { configuration in
            let owner = try await TestDatabase.withConnection(configuration) { connection in
                try await Migrator(logger: TestDatabase.logger).migrate(on: connection)
                return try await connection.query("SELECT current_user::text")[0].decode(0, as: String.self)
            }
            return try SchemaDump.take(pgDump: pgDump, url: try TestDatabase.url(for: configuration), owner: owner)
        }
        if environment["HAVEN_UPDATE_SCHEMA"] == "1" {
            try schema.write(to: SchemaDump.committedFile, atomically: true, encoding: .utf8)
            return
        }
        // A missing file is a difference like any other.
        let committed = (try? String(contentsOf: SchemaDump.committedFile, encoding: .utf8)) ?? ""
        // Issue.record, not #expect(==): the message names the first difference instead of printing
        // both 4,000-line texts.
        if committed != schema {
            Issue.record(
                "sql/schema.sql is not the schema the migrations make (\(Self.firstDifference(committed, schema))): run scripts/schema-dump"
            )
        }
    }

    @Test func normalisingDropsRunNoiseKeepsSchemaAndNamesTheOwnerHaven() {
        let raw = """
            --
            -- PostgreSQL database dump
            --

            \\restrict Foja0dAl7uHMWnxy

            -- Dumped from database version 15.18
            -- Dumped by pg_dump version 15.18

            SET statement_timeout = 0;
            SELECT pg_catalog.set_config('search_path', '', false);

            --
            -- Name: clients clients_owner; Type: POLICY; Schema: public; Owner: -
            --

            CREATE POLICY clients_owner ON public.clients TO migrator USING (true) WITH CHECK (true);


            SET default_tablespace = '';

            GRANT SELECT ON TABLE public.migrator_notes TO haven_app, migrator;
            REVOKE ALL ON FUNCTION public.f(migrator text) FROM PUBLIC, "migrator";

            CREATE FUNCTION public.g() RETURNS void
                LANGUAGE plpgsql
                AS $$
            BEGIN
            SET LOCAL lock_timeout = 0;
            END
            $$;

            --
            -- PostgreSQL database dump complete
            --

            \\unrestrict Foja0dAl7uHMWnxy

            """
        let schema = SchemaDump.normalise(raw, owner: "migrator", pgDumpVersion: "15")
        let body = schema.split(separator: "\n", omittingEmptySubsequences: false).drop { $0.hasPrefix("--") }
        #expect(
            body.joined(separator: "\n") == """

                --
                -- Name: clients clients_owner; Type: POLICY; Schema: public; Owner: -
                --

                CREATE POLICY clients_owner ON public.clients TO haven USING (true) WITH CHECK (true);


                GRANT SELECT ON TABLE public.migrator_notes TO haven_app, haven;
                REVOKE ALL ON FUNCTION public.f(migrator text) FROM PUBLIC, haven;

                CREATE FUNCTION public.g() RETURNS void
                    LANGUAGE plpgsql
                    AS $$
                BEGIN
                SET LOCAL lock_timeout = 0;
                END
                $$;

                """
        )
        #expect(schema.contains("(PostgreSQL 15)"))
    }

    /// Where two texts first differ, by line (schema text only: no data).
    private static func firstDifference(_ committed: String, _ migrated: String) -> String {
        let old = committed.split(separator: "\n", omittingEmptySubsequences: false)
        let new = migrated.split(separator: "\n", omittingEmptySubsequences: false)
        let firstChanged = (0..<min(old.count, new.count)).first { old[$0] != new[$0] }
        guard let index = firstChanged ?? (old.count == new.count ? nil : min(old.count, new.count)) else {
            return "no difference"
        }
        let line = { (lines: [Substring]) in index < lines.count ? "\"\(lines[index])\"" : "end of file" }
        return "line \(index + 1): the file has \(line(old)), the migrated database \(line(new))"
    }
}
