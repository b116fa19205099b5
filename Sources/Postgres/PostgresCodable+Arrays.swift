/// An element type whose Swift arrays have a PostgreSQL form.
///
/// Most elements use PostgreSQL's one-dimensional array format (`text[]`, `int8[]`, `uuid[]`);
/// `UInt8` is the exception: `[UInt8]` is `bytea`.
public protocol PostgresArrayElement: Sendable {
    /// The array type, e.g. `text[]` for `String`.
    static var arrayType: PostgresType { get }
    /// Appends the binary form of the whole array.
    static func encodeArray(_ elements: [Self], into buffer: inout [UInt8])
    /// Decodes a whole array from one cell.
    static func decodeArray(from cell: PostgresCell) throws -> [Self]
}

extension PostgresArrayElement where Self: PostgresEncodable & PostgresDecodable {
    public static func encodeArray(_ elements: [Self], into buffer: inout [UInt8]) {
        buffer.appendBigEndian(Int32(1))  // dimensions
        buffer.appendBigEndian(Int32(elements.contains { $0.encodesAsNull } ? 1 : 0))
        buffer.appendBigEndian(Int32(bitPattern: postgresType.oid))
        buffer.appendBigEndian(Int32(elements.count))
        buffer.appendBigEndian(Int32(1))  // lower bound
        var scratch: [UInt8] = []
        for element in elements {
            if element.encodesAsNull {
                buffer.appendBigEndian(Int32(-1))
                continue
            }
            scratch.removeAll(keepingCapacity: true)
            element.encode(into: &scratch)
            buffer.appendBigEndian(Int32(scratch.count))
            buffer.append(contentsOf: scratch)
        }
    }

    public static func decodeArray(from cell: PostgresCell) throws -> [Self] {
        let bytes = try cell.requireBytes()
        guard
            cell.type == arrayType || (arrayType == .textArray && cell.type == .varcharArray)
                || (arrayType == .textArray && cell.type == .nameArray)
        else { throw cell.mismatch([Self].self) }
        let dimensions = try cell.readInteger(Int32.self, at: 0, in: bytes)
        let elementOID = try cell.readInteger(UInt32.self, at: 8, in: bytes)
        if dimensions == 0 { return [] }
        guard dimensions == 1 else { throw cell.malformed("multi-dimensional array") }
        let count = Int(try cell.readInteger(Int32.self, at: 12, in: bytes))
        guard count >= 0 else { throw cell.malformed("array") }
        var offset = 20
        var result: [Self] = []
        result.reserveCapacity(count)
        for _ in 0..<count {
            let length = Int(try cell.readInteger(Int32.self, at: offset, in: bytes))
            offset += 4
            if length < 0 {
                let null = PostgresCell(
                    bytes: nil,
                    type: PostgresType(oid: elementOID),
                    columnName: cell.columnName,
                    owner: cell.owner
                )
                result.append(try decode(from: null))
                continue
            }
            guard offset + length <= bytes.count else { throw cell.malformed("array") }
            let element = PostgresCell(
                bytes: UnsafeRawBufferPointer(rebasing: bytes[offset..<offset + length]),
                type: PostgresType(oid: elementOID),
                columnName: cell.columnName,
                owner: cell.owner
            )
            result.append(try decode(from: element))
            offset += length
        }
        return result
    }
}

extension String: PostgresArrayElement {
    public static var arrayType: PostgresType { .textArray }
}

extension Int: PostgresArrayElement {
    public static var arrayType: PostgresType { PostgresType(oid: 1016) }
}

extension Int32: PostgresArrayElement {
    public static var arrayType: PostgresType { PostgresType(oid: 1007) }
}

extension Optional: PostgresArrayElement where Wrapped: PostgresArrayElement & PostgresEncodable & PostgresDecodable {
    public static var arrayType: PostgresType { Wrapped.arrayType }
}

extension Array: PostgresEncodable where Element: PostgresArrayElement {
    public static var postgresType: PostgresType { Element.arrayType }

    public func encode(into buffer: inout [UInt8]) { Element.encodeArray(self, into: &buffer) }
}

extension Array: PostgresDecodable where Element: PostgresArrayElement {
    public static func decode(from cell: PostgresCell) throws -> [Element] {
        try Element.decodeArray(from: cell)
    }
}
