/// An error from the database layer: the server, libpq, the pool, or decoding a value.
///
/// `description` is deliberately generic and safe to show to a user: it names the kind of failure and,
/// for connection failures, the host, port and database. The server's message, the SQLSTATE, the
/// constraint and the query text are in `debugDescription`, meant for logs. Neither ever contains a
/// parameter value or the server's DETAIL field (which can quote row contents).
public struct PostgresError: Error, Sendable, CustomStringConvertible, CustomDebugStringConvertible {
    /// The kind of failure. New kinds can be added without breaking callers.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String {
            case connectionFailed = "could not connect"
            case connectionLost = "connection lost"
            case connectionClosed = "connection closed"
            case uniqueViolation = "unique violation"
            case foreignKeyViolation = "foreign key violation"
            case checkViolation = "check violation"
            case notNullViolation = "not-null violation"
            case exclusionViolation = "exclusion violation"
            case serializationFailure = "serialization failure"
            case deadlockDetected = "deadlock detected"
            case queryCanceled = "query canceled"
            case insufficientPrivilege = "insufficient privilege"
            case raisedException = "raised exception"
            case server = "server error"
            case unexpectedNull = "unexpected NULL"
            case typeMismatch = "type mismatch"
            case invalidValue = "invalid value"
            case noSuchColumn = "no such column"
            case poolTimeout = "timed out waiting for a connection"
            case poolClosed = "connection pool closed"
            case protocolViolation = "protocol violation"
            case invalidConfiguration = "invalid configuration"
            case transactionAborted = "transaction aborted"
            case misuse = "misuse"
        }

        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// The server could not be reached or refused the connection.
        public static let connectionFailed = Code(.connectionFailed)
        /// The connection broke while in use (server restart, network failure, backend terminated).
        public static let connectionLost = Code(.connectionLost)
        /// The connection was closed by this process.
        public static let connectionClosed = Code(.connectionClosed)
        /// SQLSTATE 23505.
        public static let uniqueViolation = Code(.uniqueViolation)
        /// SQLSTATE 23503.
        public static let foreignKeyViolation = Code(.foreignKeyViolation)
        /// SQLSTATE 23514.
        public static let checkViolation = Code(.checkViolation)
        /// SQLSTATE 23502.
        public static let notNullViolation = Code(.notNullViolation)
        /// SQLSTATE 23P01.
        public static let exclusionViolation = Code(.exclusionViolation)
        /// SQLSTATE 40001: retried by `transaction` a bounded number of times.
        public static let serializationFailure = Code(.serializationFailure)
        /// SQLSTATE 40P01: retried by `transaction` a bounded number of times.
        public static let deadlockDetected = Code(.deadlockDetected)
        /// SQLSTATE 57014: a statement timeout or a cancel request.
        public static let queryCanceled = Code(.queryCanceled)
        /// SQLSTATE 42501: the role lacks a privilege (or row-level security refused a write).
        public static let insufficientPrivilege = Code(.insufficientPrivilege)
        /// SQLSTATE P0001: `RAISE EXCEPTION` in a function or trigger.
        public static let raisedException = Code(.raisedException)
        /// Any other server error; see `sqlState`.
        public static let server = Code(.server)
        /// A NULL was read into a non-optional value.
        public static let unexpectedNull = Code(.unexpectedNull)
        /// A column's type cannot be decoded into the requested Swift type.
        public static let typeMismatch = Code(.typeMismatch)
        /// A value's bytes are malformed for its type, or a parameter cannot be encoded.
        public static let invalidValue = Code(.invalidValue)
        /// A column name that the result does not have.
        public static let noSuchColumn = Code(.noSuchColumn)
        /// No pool connection became free within the checkout timeout.
        public static let poolTimeout = Code(.poolTimeout)
        /// The pool was shut down.
        public static let poolClosed = Code(.poolClosed)
        /// libpq returned something this layer did not expect.
        public static let protocolViolation = Code(.protocolViolation)
        /// The connection string could not be parsed.
        public static let invalidConfiguration = Code(.invalidConfiguration)
        /// A transaction body finished after a statement in it failed; nothing was committed.
        public static let transactionAborted = Code(.transactionAborted)
        /// The API was used where it cannot work (a programming error, e.g. queuing statements for a
        /// COMMIT outside any transaction).
        public static let misuse = Code(.misuse)

        public var description: String { base.rawValue }
    }

    /// The kind of failure.
    public var code: Code
    /// The five-character SQLSTATE, when the server sent one.
    public var sqlState: String?
    /// The server's or libpq's primary message. Logged via `debugDescription`, never in `description`.
    public var message: String?
    /// The constraint the server named (for violations), e.g. `couples_partners_differ`.
    public var constraint: String?
    /// The table the server named, if any.
    public var table: String?
    /// The column: the result column for decoding errors, or the one the server named.
    public var column: String?
    /// The SQL text of the statement (never its parameter values).
    public var query: String?
    /// `host:port/database` for connection errors.
    public var target: String?
    /// The server's detail, hint and context (where it happened: "PL/pgSQL function … at RAISE"). The
    /// detail may quote row values (a violated constraint's failing row), so none of the three is in
    /// `description` or `debugDescription`; a caller shows them only where it knows the text is its own
    /// (the migrator, for a migration's own `RAISE`).
    public var detail: String?
    public var hint: String?
    public var context: String?

    /// Creates an error of the given kind.
    public init(
        _ code: Code,
        sqlState: String? = nil,
        message: String? = nil,
        constraint: String? = nil,
        table: String? = nil,
        column: String? = nil,
        query: String? = nil,
        target: String? = nil,
        detail: String? = nil,
        hint: String? = nil,
        context: String? = nil
    ) {
        self.code = code
        self.sqlState = sqlState
        self.message = message
        self.constraint = constraint
        self.table = table
        self.column = column
        self.query = query
        self.target = target
        self.detail = detail
        self.hint = hint
        self.context = context
    }

    /// Whether a transaction that failed with this error may succeed if run again.
    public var isRetryableTransactionFailure: Bool {
        code == .serializationFailure || code == .deadlockDetected
    }

    /// Whether the database cannot take work just now: unreachable, restarting or shutting down
    /// (SQLSTATE class 08, 57P01–57P03), out of connection slots (53300), or the pool cannot hand out a
    /// connection. A later attempt may succeed (an HTTP server answers 503, not 500).
    public var isUnavailable: Bool {
        [.connectionFailed, .connectionLost, .poolTimeout, .poolClosed].contains(code) || sqlState == "53300"
    }

    /// Whether the server refused text it cannot store (a NUL, or bytes the database's encoding
    /// cannot hold: SQLSTATE 22021, 22P05): the input's fault, not the system's.
    public var isUnstorableText: Bool {
        sqlState == "22021" || sqlState == "22P05"
    }

    public var description: String {
        switch code {
        case .connectionFailed:
            return "could not connect to PostgreSQL at \(target ?? "?"): \(message ?? "unknown error")"
        case .connectionLost:
            return "the connection to PostgreSQL\(target.map { " at \($0)" } ?? "") was lost"
        case .unexpectedNull, .typeMismatch, .noSuchColumn:
            return "database result: \(code) in column \(column ?? "?")"
        case .invalidValue:
            return "invalid database value\(column.map { " in \($0)" } ?? "")"
        case .poolTimeout, .poolClosed, .connectionClosed, .invalidConfiguration:
            return "database: \(code)\(message.map { ": \($0)" } ?? "")"
        default:
            return "a database error occurred: \(code)\(sqlState.map { " (SQLSTATE \($0))" } ?? "")"
        }
    }

    public var debugDescription: String {
        var parts = ["PostgresError(\(code)"]
        if let sqlState { parts.append("sqlstate: \(sqlState)") }
        if let message { parts.append("message: \(message)") }
        if let constraint { parts.append("constraint: \(constraint)") }
        if let table { parts.append("table: \(table)") }
        if let column { parts.append("column: \(column)") }
        if let target { parts.append("target: \(target)") }
        if let query { parts.append("query: \(query)") }
        return parts.joined(separator: ", ") + ")"
    }

    /// Maps a SQLSTATE to the kind of failure it represents.
    static func code(forSQLState state: String) -> Code {
        switch state {
        case "23505": return .uniqueViolation
        case "23503": return .foreignKeyViolation
        case "23514": return .checkViolation
        case "23502": return .notNullViolation
        case "23P01": return .exclusionViolation
        case "40001": return .serializationFailure
        case "40P01": return .deadlockDetected
        case "57014": return .queryCanceled
        case "42501": return .insufficientPrivilege
        case "P0001": return .raisedException
        case "57P01", "57P02", "57P03": return .connectionLost
        default: return state.hasPrefix("08") ? .connectionLost : .server
        }
    }
}
