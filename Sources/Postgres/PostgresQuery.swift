/// A SQL statement and its parameters.
///
/// Written as a string literal, every interpolated value becomes a `$n` parameter, so a value can
/// never change the statement's meaning:
///
/// ```swift
/// let rows = try await connection.query("SELECT name FROM practices WHERE id = \(practiceID)")
/// ```
///
/// Identifiers that cannot be parameters (a table name chosen by code) go in with
/// `\(identifier: name)`, which quotes them.
public struct PostgresQuery: Sendable, ExpressibleByStringInterpolation {
    /// The SQL text with `$1`, `$2`, ... placeholders.
    public var sql: String
    /// The parameter values.
    public var bindings: PostgresBindings

    /// Creates a statement from SQL text written by the caller and separately bound values.
    /// The SQL text must not contain values; use placeholders.
    public init(sql: String, bindings: PostgresBindings = PostgresBindings()) {
        self.sql = sql
        self.bindings = bindings
    }

    public init(stringLiteral value: String) {
        self.init(sql: value)
    }

    public init(stringInterpolation: StringInterpolation) {
        self.init(sql: stringInterpolation.sql, bindings: stringInterpolation.bindings)
    }

    /// Builds a statement from literal SQL and interpolated parameters.
    public struct StringInterpolation: StringInterpolationProtocol {
        var sql = ""
        var bindings = PostgresBindings()

        public init(literalCapacity: Int, interpolationCount: Int) {
            sql.reserveCapacity(literalCapacity + interpolationCount * 3)
        }

        public mutating func appendLiteral(_ literal: String) {
            sql += literal
        }

        /// Adds `value` as the next `$n` parameter.
        public mutating func appendInterpolation<Value: PostgresEncodable>(_ value: Value) {
            bindings.append(value)
            sql += "$\(bindings.count)"
        }

        /// Adds an optional value as the next `$n` parameter (`nil` is SQL `NULL`).
        public mutating func appendInterpolation<Value: PostgresEncodable>(_ value: Value?) {
            bindings.append(value)
            sql += "$\(bindings.count)"
        }

        /// Adds SQL text fixed at compile time (a column list kept in a constant), never a value.
        public mutating func appendInterpolation(unescaped sql: StaticString) {
            self.sql += sql.description
        }

        /// Adds a quoted SQL identifier (a table or column name chosen by code, never by a user).
        public mutating func appendInterpolation(identifier: String) {
            sql += quoteIdentifier(identifier)
        }
    }
}

/// Quotes an SQL identifier: wraps it in double quotes and doubles any inside.
public func quoteIdentifier(_ name: String) -> String {
    "\"" + name.replacing("\"", with: "\"\"") + "\""
}
