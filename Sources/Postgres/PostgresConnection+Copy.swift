import CLibPQ

extension PostgresConnection {
    /// Bulk-loads rows with `COPY ... FROM STDIN` in binary format, far faster than INSERTs (seeding,
    /// imports). Binary COPY does no casting: each value's Swift type must match its column's type
    /// exactly (`Int32` for `integer`, `Int` for `bigint`, `String` for `text`).
    ///
    /// - Parameters:
    ///   - table: the table, as code names it (quoted here, never from user input).
    ///   - columns: the columns each row gives, in order.
    ///   - body: appends rows to the writer it is given.
    /// - Returns: the number of rows copied.
    @discardableResult
    public func copyFrom(
        table: String,
        columns: [String],
        _ body: @Sendable (inout PostgresCopyWriter) throws -> Void
    ) throws -> Int {
        defer { publishReuseState() }
        let handle = try liveHandle()
        let columnList = columns.map(quoteIdentifier).joined(separator: ", ")
        let sql = "COPY \(quoteIdentifier(table)) (\(columnList)) FROM STDIN (FORMAT binary)"
        let start = try check(PQexec(handle.pointer, sql), on: handle, query: sql)
        guard start.status == PGRES_COPY_IN else {
            throw PostgresError(.protocolViolation, message: "COPY did not start", query: sql)
        }
        var writer = PostgresCopyWriter(handle: handle, columnCount: columns.count)
        do {
            try body(&writer)
            try writer.finish()
        } catch {
            _ = PQputCopyEnd(handle.pointer, "aborted by the client")
            while let raw = PQgetResult(handle.pointer) { PQclear(raw) }
            throw error
        }
        guard PQputCopyEnd(handle.pointer, nil) == 1 else { throw lostError(handle, query: sql) }
        var copied = 0
        var firstError: Error?
        while let raw = PQgetResult(handle.pointer) {
            do {
                copied = try check(raw, on: handle, query: sql).affectedRowCount
            } catch {
                firstError = firstError ?? error
            }
        }
        if let firstError { throw firstError }
        return copied
    }
}

/// Streams rows into a running `COPY ... FROM STDIN (FORMAT binary)`.
public struct PostgresCopyWriter {
    private let handle: ConnectionHandle
    private let columnCount: Int
    private var buffer: [UInt8] = []
    private static let flushThreshold = 1 << 16

    init(handle: ConnectionHandle, columnCount: Int) {
        self.handle = handle
        self.columnCount = columnCount
        buffer.append(contentsOf: Array("PGCOPY\n".utf8) + [0xFF, 0x0D, 0x0A, 0x00])
        buffer.appendBigEndian(Int32(0))  // flags
        buffer.appendBigEndian(Int32(0))  // header extension length
    }

    /// Adds one row; `values` must have one value per column, in column order.
    public mutating func append(_ values: [any PostgresEncodable]) throws {
        guard values.count == columnCount else {
            throw PostgresError(
                .invalidValue,
                message: "COPY row has \(values.count) values for \(columnCount) columns"
            )
        }
        buffer.appendBigEndian(Int16(columnCount))
        for value in values {
            if value.encodesAsNull {
                buffer.appendBigEndian(Int32(-1))
                continue
            }
            let lengthPosition = buffer.count
            buffer.appendBigEndian(Int32(0))
            value.encode(into: &buffer)
            let length = Int32(buffer.count - lengthPosition - 4)
            withUnsafeBytes(of: length.bigEndian) { bytes in
                for (offset, byte) in bytes.enumerated() { buffer[lengthPosition + offset] = byte }
            }
        }
        if buffer.count >= Self.flushThreshold { try flush() }
    }

    mutating func finish() throws {
        buffer.appendBigEndian(Int16(-1))
        try flush()
    }

    private mutating func flush() throws {
        let status = buffer.withUnsafeBufferPointer { bytes in
            bytes.withMemoryRebound(to: CChar.self) { PQputCopyData(handle.pointer, $0.baseAddress, Int32($0.count)) }
        }
        guard status == 1 else {
            throw PostgresError(.connectionLost, message: String(cString: PQerrorMessage(handle.pointer)))
        }
        buffer.removeAll(keepingCapacity: true)
    }
}

extension ResultHandle {
    var affectedRowCount: Int { Int(String(cString: PQcmdTuples(pointer))) ?? 0 }
}
