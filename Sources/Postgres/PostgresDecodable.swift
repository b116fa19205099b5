/// A Swift value that can be read from a result column in PostgreSQL's binary format.
public protocol PostgresDecodable: Sendable {
    /// Decodes the value from one cell. A NULL cell or an incompatible column type is a typed
    /// `PostgresError` naming the column.
    static func decode(from cell: PostgresCell) throws -> Self
}

extension Optional: PostgresDecodable where Wrapped: PostgresDecodable {
    public static func decode(from cell: PostgresCell) throws -> Wrapped? {
        if cell.isNull { return nil }
        return try Wrapped.decode(from: cell)
    }
}

/// One value of one row in a result: its bytes (binary format), its type and its column.
public struct PostgresCell: @unchecked Sendable {
    // Safety: `bytes` points into a PGresult that `owner` keeps alive; PGresults are immutable.
    /// The value's bytes, or `nil` for SQL `NULL`.
    public let bytes: UnsafeRawBufferPointer?
    /// The column's type.
    public let type: PostgresType
    /// The column's name (for error messages).
    public let columnName: String
    let owner: AnyObject?

    /// Whether the cell holds SQL `NULL`.
    public var isNull: Bool { bytes == nil }

    /// Creates a cell over bytes that stay valid as long as `owner` lives.
    init(bytes: UnsafeRawBufferPointer?, type: PostgresType, columnName: String, owner: AnyObject?) {
        self.bytes = bytes
        self.type = type
        self.columnName = columnName
        self.owner = owner
    }

    /// Returns the non-NULL bytes, or throws `unexpectedNull` naming the column.
    public func requireBytes() throws -> UnsafeRawBufferPointer {
        guard let bytes else {
            throw PostgresError(.unexpectedNull, message: "NULL in non-optional column", column: columnName)
        }
        return bytes
    }

    /// Throws `typeMismatch` unless the column has one of `accepted` types.
    public func requireType(_ accepted: PostgresType..., decoding swiftType: Any.Type) throws {
        guard accepted.contains(type) else { throw mismatch(swiftType) }
    }

    /// The error for a column whose type cannot become `swiftType`.
    public func mismatch(_ swiftType: Any.Type) -> PostgresError {
        PostgresError(
            .typeMismatch,
            message: "cannot decode \(type) into \(swiftType)",
            column: columnName
        )
    }

    /// The error for bytes that are malformed for the column's type.
    public func malformed(_ what: String) -> PostgresError {
        PostgresError(.invalidValue, message: "malformed \(what) value", column: columnName)
    }

    /// Reads a big-endian integer at `offset`, checking bounds.
    func readInteger<T: FixedWidthInteger>(_: T.Type, at offset: Int, in bytes: UnsafeRawBufferPointer) throws -> T {
        guard offset >= 0, offset + MemoryLayout<T>.size <= bytes.count else { throw malformed("\(type)") }
        return T(bigEndian: bytes.loadUnaligned(fromByteOffset: offset, as: T.self))
    }
}
