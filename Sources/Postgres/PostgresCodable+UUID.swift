import Foundation

extension UUID: PostgresEncodable, PostgresDecodable, PostgresArrayElement {
    public static var postgresType: PostgresType { .uuid }

    public static var arrayType: PostgresType { PostgresType(oid: 2951) }

    public func encode(into buffer: inout [UInt8]) {
        withUnsafeBytes(of: uuid) { buffer.append(contentsOf: $0) }
    }

    public static func decode(from cell: PostgresCell) throws -> UUID {
        try cell.requireType(.uuid, decoding: UUID.self)
        let bytes = try cell.requireBytes()
        guard bytes.count == 16 else { throw cell.malformed("uuid") }
        var raw: uuid_t = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        withUnsafeMutableBytes(of: &raw) { $0.copyMemory(from: bytes) }
        return UUID(uuid: raw)
    }
}
