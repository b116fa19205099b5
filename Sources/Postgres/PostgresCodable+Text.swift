extension String: PostgresEncodable, PostgresDecodable {
    public static var postgresType: PostgresType { .text }

    public func encode(into buffer: inout [UInt8]) { buffer.append(contentsOf: utf8) }

    public static func decode(from cell: PostgresCell) throws -> String {
        let bytes = try cell.requireBytes()
        if PostgresType.textual.contains(cell.type) {
            return String(decoding: bytes, as: UTF8.self)
        }
        if cell.type == .jsonb {
            // Binary jsonb is a version byte (1) followed by the JSON text.
            guard bytes.first == 1 else { throw cell.malformed("jsonb") }
            return String(decoding: UnsafeRawBufferPointer(rebasing: bytes.dropFirst()), as: UTF8.self)
        }
        throw cell.mismatch(String.self)
    }
}
