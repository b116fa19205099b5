import CLibPQ

/// The rows a statement returned, in binary format.
///
/// Rows are read lazily from libpq's result; the result is freed when the last row and this value are
/// gone.
public struct PostgresRows: Sendable, RandomAccessCollection {
    let result: ResultHandle?
    /// Column names, in order.
    public let columns: [String]
    let types: [PostgresType]
    /// Rows affected by an INSERT, UPDATE, DELETE, COPY or similar (0 when not applicable).
    public let affectedRows: Int

    init(result: ResultHandle) {
        self.result = result
        let pointer = result.pointer
        let columnCount = Int(PQnfields(pointer))
        self.columns = (0..<columnCount).map { String(cString: PQfname(pointer, Int32($0))) }
        self.types = (0..<columnCount).map { PostgresType(oid: PQftype(pointer, Int32($0))) }
        self.rowCount = Int(PQntuples(pointer))
        self.affectedRows = Int(String(cString: PQcmdTuples(pointer))) ?? 0
    }

    private let rowCount: Int

    public var startIndex: Int { 0 }
    public var endIndex: Int { rowCount }

    public subscript(position: Int) -> PostgresRow {
        precondition(position >= 0 && position < rowCount, "row index out of range")
        return PostgresRow(rows: self, index: position)
    }

    /// The only row, or `nil` when there is none; more than one row is an error.
    public func singleRow() throws -> PostgresRow? {
        switch count {
        case 0: return nil
        case 1: return self[0]
        default: throw PostgresError(.protocolViolation, message: "expected at most one row, got \(count)")
        }
    }

    /// The position of a column by name.
    func columnIndex(_ name: String) throws -> Int {
        guard let index = columns.firstIndex(of: name) else {
            throw PostgresError(.noSuchColumn, message: "no column named \(name)", column: name)
        }
        return index
    }
}

/// One row of a result.
public struct PostgresRow: Sendable {
    let rows: PostgresRows
    let index: Int

    /// The cell at column `column`.
    public func cell(_ column: Int) throws -> PostgresCell {
        guard let result = rows.result, column >= 0, column < rows.columns.count else {
            throw PostgresError(.noSuchColumn, message: "no column at position \(column)", column: "#\(column)")
        }
        let row = Int32(index)
        let field = Int32(column)
        let bytes: UnsafeRawBufferPointer?
        if PQgetisnull(result.pointer, row, field) == 1 {
            bytes = nil
        } else {
            let length = Int(PQgetlength(result.pointer, row, field))
            bytes = UnsafeRawBufferPointer(start: PQgetvalue(result.pointer, row, field), count: length)
        }
        return PostgresCell(bytes: bytes, type: rows.types[column], columnName: rows.columns[column], owner: result)
    }

    /// Decodes the value in column `column` (by position).
    public func decode<Value: PostgresDecodable>(_ column: Int, as type: Value.Type = Value.self) throws -> Value {
        try Value.decode(from: cell(column))
    }

    /// Decodes the value in the column named `column`.
    public func decode<Value: PostgresDecodable>(_ column: String, as type: Value.Type = Value.self) throws -> Value {
        try Value.decode(from: cell(rows.columnIndex(column)))
    }

    /// Decodes the row's columns in order, starting at column `start`, into a tuple (rows wider than a
    /// tuple can hold are read in slices).
    public func decode<each Value: PostgresDecodable>(
        _ types: (repeat each Value).Type,
        from start: Int = 0
    ) throws -> (repeat each Value) {
        var position = start
        func next<V: PostgresDecodable>(_: V.Type) throws -> V {
            defer { position += 1 }
            return try V.decode(from: cell(position))
        }
        return (repeat try next((each Value).self))
    }
}
