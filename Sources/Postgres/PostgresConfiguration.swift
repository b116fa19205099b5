import CLibPQ

#if canImport(Glibc)
import Glibc
#endif

/// How to reach a PostgreSQL server.
///
/// Built from a libpq connection URI (`postgresql://user:secret@127.0.0.1:5432/haven`) or a
/// `key=value` conninfo string, as found in `HAVEN_DATABASE_URL`. The string is parsed by libpq itself
/// and handed to it as keyword arrays, never rebuilt by interpolation. `description` never shows the
/// password.
public struct PostgresConfiguration: Sendable, CustomStringConvertible {
    /// The parsed connection options, keyword → value.
    private(set) var options: [(keyword: String, value: String)]

    /// Sent as `fallback_application_name` when the connection string names none.
    public var applicationName = "haven"

    /// Seconds to wait for a connection to be established; 0 (or less) waits indefinitely.
    ///
    /// The connection string's `connect_timeout`, else the `PGCONNECT_TIMEOUT` environment variable,
    /// read as libpq reads them (whole seconds, 1 meaning 2, 0 or less no limit); else 10. libpq
    /// itself does not apply either to the non-blocking connect this package drives, so the value is
    /// read here and the deadline is ours.
    public var connectTimeout: Double = 10

    /// Prepared statements kept per connection, keyed by SQL text; 0 disables the cache (every
    /// statement is then sent unnamed). Ignored behind a transaction-mode pooler (`pooler`).
    public var statementCacheCapacity = 256

    /// What stands between this process and the server: `.transaction` behind PgBouncer in
    /// transaction mode (no named prepared statements, no session state). Default `.none`.
    public var pooler = PoolerMode.none

    /// How many named prepared statements a connection keeps: `statementCacheCapacity`, or none behind
    /// a transaction-mode pooler.
    var preparedStatementCapacity: Int {
        pooler == .transaction ? 0 : statementCacheCapacity
    }

    /// Parses a libpq URI or conninfo string.
    ///
    /// - Throws: `PostgresError.invalidConfiguration` with libpq's reason.
    public init(_ connectionString: String) throws {
        var errorMessage: UnsafeMutablePointer<CChar>?
        guard let parsed = PQconninfoParse(connectionString, &errorMessage) else {
            let reason = errorMessage.map { String(cString: $0) } ?? "unparseable connection string"
            PQfreemem(errorMessage)
            throw PostgresError(
                .invalidConfiguration,
                message: reason.trimmingWhitespace()
            )
        }
        defer { PQconninfoFree(parsed) }
        var options: [(String, String)] = []
        var cursor = parsed
        while let keyword = cursor.pointee.keyword {
            if let value = cursor.pointee.val {
                options.append((String(cString: keyword), String(cString: value)))
            }
            cursor += 1
        }
        self.options = options
        if let text = option("connect_timeout") {
            connectTimeout = try Self.connectTimeout(parsing: text, from: "connect_timeout")
        } else if let variable = getenv("PGCONNECT_TIMEOUT") {
            connectTimeout = try Self.connectTimeout(parsing: String(cString: variable), from: "PGCONNECT_TIMEOUT")
        }
    }

    /// The longest connect timeout kept: a year (a longer one is taken as a year).
    static let longestConnectTimeout: Double = 31_536_000

    /// libpq's reading of `connect_timeout`: a whole number of seconds; 1 is taken as 2 (libpq's
    /// minimum), 0 or less as no limit.
    ///
    /// - Throws: `PostgresError.invalidConfiguration` naming where the value came from (`source`) and
    ///   the value.
    static func connectTimeout(parsing text: String, from source: String) throws -> Double {
        guard let seconds = Int(text.trimmingWhitespace()) else {
            throw PostgresError(
                .invalidConfiguration,
                message: "\(source) \"\(text)\" is not a whole number of seconds; use e.g. \(source)=10"
            )
        }
        return seconds <= 0 ? 0 : min(Double(max(seconds, 2)), longestConnectTimeout)
    }

    /// The value of one option, if set.
    func option(_ keyword: String) -> String? {
        options.first { $0.keyword == keyword }?.value
    }

    /// `host:port/database` as given (defaults shown as libpq would pick them).
    public var target: String {
        let host = option("hostaddr") ?? option("host") ?? "localhost"
        return "\(host):\(option("port") ?? "5432")/\(option("dbname") ?? option("user") ?? "?")"
    }

    /// A copy that connects to another database on the same server (used to create test databases).
    public func replacingDatabase(with name: String) -> PostgresConfiguration {
        var copy = self
        var options = copy.options.filter { $0.keyword != "dbname" }
        options.append(("dbname", name))
        copy.options = options
        return copy
    }

    public var description: String {
        let user = option("user").map { "\($0)@" } ?? ""
        return "postgresql://\(user)\(target)"
    }

    /// Keyword/value arrays for `PQconnectStartParams`, with this type's defaults added.
    func keywordArrays() -> (keywords: [String], values: [String]) {
        var keywords = options.map(\.keyword)
        var values = options.map(\.value)
        if option("application_name") == nil {
            keywords.append("fallback_application_name")
            values.append(applicationName)
        }
        return (keywords, values)
    }
}

extension String {
    func trimmingWhitespace() -> String {
        var text = Substring(self)
        while let last = text.last, last.isWhitespace { text.removeLast() }
        while let first = text.first, first.isWhitespace { text.removeFirst() }
        return String(text)
    }
}
