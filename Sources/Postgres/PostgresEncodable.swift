/// A Swift value that can be sent to PostgreSQL as a statement parameter, in binary form.
///
/// Values are never spliced into SQL text: `PostgresQuery` turns each one into a `$n` parameter.
public protocol PostgresEncodable: Sendable {
    /// The type the server is told the parameter has.
    static var postgresType: PostgresType { get }

    /// Whether this value is sent as SQL `NULL` (only optionals say yes).
    var encodesAsNull: Bool { get }

    /// Appends the value's binary wire form to `buffer`.
    func encode(into buffer: inout [UInt8])
}

extension PostgresEncodable {
    public var encodesAsNull: Bool { false }
}

extension Optional: PostgresEncodable where Wrapped: PostgresEncodable {
    public static var postgresType: PostgresType { Wrapped.postgresType }

    public var encodesAsNull: Bool { self == nil }

    public func encode(into buffer: inout [UInt8]) {
        if let self { self.encode(into: &buffer) }
    }
}

extension [UInt8] {
    mutating func appendBigEndian<T: FixedWidthInteger>(_ value: T) {
        Swift.withUnsafeBytes(of: value.bigEndian) { append(contentsOf: $0) }
    }
}
