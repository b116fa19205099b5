/// What stands between Haven and PostgreSQL, which decides what a connection may rely on between
/// transactions.
///
/// Behind a pooler in transaction mode (PgBouncer's `pool_mode = transaction`) each transaction may run
/// on a different server session, so nothing may outlive a transaction: not a named prepared statement
/// (PgBouncer before 1.21 does not carry them across sessions: the next transaction's server session
/// answers "prepared statement does not exist", or another client's "already exists"), not a
/// session-level setting, advisory lock, LISTEN, temporary table or cursor WITH HOLD. Haven's own
/// context is per transaction already (`set_config(..., true)`, `pg_advisory_xact_lock`).
/// PostgreSQL cannot tell a client that a pooler is in between (PgBouncer answers `SHOW pool_mode`
/// only on its admin console), so this is configured, not detected.
public enum PoolerMode: String, Sendable, CaseIterable {
    /// A direct connection, or a pooler in session mode: a connection keeps one server session.
    /// Statements are prepared once per connection under a name and reused.
    case none
    /// A pooler in transaction mode: every statement is sent unnamed (`PQexecParams`,
    /// `PQsendQueryParams`; parsed and planned each time), and a statement that would leave session
    /// state behind is refused with `PostgresError.misuse` before it is sent.
    case transaction
}
