import Foundation

extension UInt8: PostgresArrayElement {
    /// `[UInt8]` is sent and read as `bytea`, not as an array of numbers.
    public static var arrayType: PostgresType { .bytea }

    public static func encodeArray(_ elements: [UInt8], into buffer: inout [UInt8]) {
        buffer.append(contentsOf: elements)
    }

    public static func decodeArray(from cell: PostgresCell) throws -> [UInt8] {
        try cell.requireType(.bytea, decoding: [UInt8].self)
        return Array(try cell.requireBytes())
    }
}

extension Data: PostgresEncodable, PostgresDecodable {
    public static var postgresType: PostgresType { .bytea }

    public func encode(into buffer: inout [UInt8]) { buffer.append(contentsOf: self) }

    public static func decode(from cell: PostgresCell) throws -> Data {
        try cell.requireType(.bytea, decoding: Data.self)
        return Data(try cell.requireBytes())
    }
}
