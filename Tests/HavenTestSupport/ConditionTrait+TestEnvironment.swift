import Foundation
import Testing

/// Traits for tests that need what `scripts/test` sets up: a PostgreSQL test server, the built
/// `haven` binary, the server's statement log, a way to restart the server. Without it (a plain
/// `swift test`) such a suite is skipped with the reason, and the tests that need nothing run.
extension Trait where Self == ConditionTrait {
    /// Needs the PostgreSQL test server (`HAVEN_TEST_DATABASE_URL`, the owner role's URL).
    public static var needsTestDatabase: Self {
        .enabled(
            if: TestEnvironment.isSet("HAVEN_TEST_DATABASE_URL"),
            "no PostgreSQL test server: HAVEN_TEST_DATABASE_URL is not set (scripts/test starts one and sets it)"
        )
    }

    /// Needs the built `haven` binary (`HAVEN_BIN`).
    public static var needsHavenBinary: Self {
        .enabled(
            if: TestEnvironment.isSet("HAVEN_BIN"),
            "no haven binary: HAVEN_BIN is not set (scripts/test builds it and sets it)"
        )
    }

    /// Needs the test server's statement log and its `pg_dump` (`HAVEN_TEST_SERVER_LOG`,
    /// `HAVEN_TEST_PG_DUMP`), to search them for clinical text.
    public static var needsServerLog: Self {
        .enabled(
            if: TestEnvironment.isSet("HAVEN_TEST_SERVER_LOG") && TestEnvironment.isSet("HAVEN_TEST_PG_DUMP"),
            "no server log: HAVEN_TEST_SERVER_LOG and HAVEN_TEST_PG_DUMP are not set (scripts/test sets them)"
        )
    }

    /// Needs the test server's `pg_dump` (`HAVEN_TEST_PG_DUMP`), to dump a migrated database's schema.
    public static var needsPgDump: Self {
        .enabled(
            if: TestEnvironment.isSet("HAVEN_TEST_PG_DUMP"),
            "no pg_dump: HAVEN_TEST_PG_DUMP is not set (scripts/test and scripts/schema-dump set it)"
        )
    }

    /// Needs the PgBouncer (transaction mode) that `scripts/test --pgbouncer` starts in front of the
    /// test server (`HAVEN_TEST_PGBOUNCER_PORT`).
    public static var needsPgBouncer: Self {
        .enabled(
            if: TestEnvironment.isSet("HAVEN_TEST_PGBOUNCER_PORT") && TestEnvironment.isSet("HAVEN_TEST_DATABASE_URL"),
            "no PgBouncer: HAVEN_TEST_PGBOUNCER_PORT is not set (scripts/test --pgbouncer starts one and sets it)"
        )
    }

    /// Needs the local SMTP server (python3-aiosmtpd) and msmtp that `scripts/test` starts and installs
    /// (`HAVEN_TEST_SMTP_PORT`, `HAVEN_TEST_SMTP_TLS_PORT`, `HAVEN_TEST_SMTP_DIR`, ...).
    public static var needsTestSMTP: Self {
        .enabled(
            if: TestEnvironment.isSet("HAVEN_TEST_SMTP_PORT") && TestEnvironment.isSet("HAVEN_TEST_SMTP_DIR"),
            "no test SMTP server: HAVEN_TEST_SMTP_PORT is not set (scripts/test starts one and sets it)"
        )
    }

    /// Needs a script that restarts the test server (`HAVEN_TEST_RESTART_SERVER`).
    public static var needsServerRestart: Self {
        .enabled(
            if: TestEnvironment.isSet("HAVEN_TEST_RESTART_SERVER"),
            "no server restart script: HAVEN_TEST_RESTART_SERVER is not set (scripts/test sets it)"
        )
    }
}

/// What the test process was given by `scripts/test`.
public enum TestEnvironment {
    /// Whether the environment variable `name` is set and not empty.
    public static func isSet(_ name: String) -> Bool {
        !(ProcessInfo.processInfo.environment[name] ?? "").isEmpty
    }
}
