extension Int: PostgresEncodable, PostgresDecodable {
    public static var postgresType: PostgresType { .int8 }

    public func encode(into buffer: inout [UInt8]) { buffer.appendBigEndian(Int64(self)) }

    public static func decode(from cell: PostgresCell) throws -> Int {
        let bytes = try cell.requireBytes()
        switch cell.type {
        case .int8: return Int(try cell.readInteger(Int64.self, at: 0, in: bytes))
        case .int4, .oidType: return Int(try cell.readInteger(Int32.self, at: 0, in: bytes))
        case .int2: return Int(try cell.readInteger(Int16.self, at: 0, in: bytes))
        default: throw cell.mismatch(Int.self)
        }
    }
}

extension Int64: PostgresEncodable, PostgresDecodable {
    public static var postgresType: PostgresType { .int8 }

    public func encode(into buffer: inout [UInt8]) { buffer.appendBigEndian(self) }

    public static func decode(from cell: PostgresCell) throws -> Int64 {
        Int64(try Int.decode(from: cell))
    }
}

extension Int32: PostgresEncodable, PostgresDecodable {
    public static var postgresType: PostgresType { .int4 }

    public func encode(into buffer: inout [UInt8]) { buffer.appendBigEndian(self) }

    public static func decode(from cell: PostgresCell) throws -> Int32 {
        let wide = try Int.decode(from: cell)
        guard let value = Int32(exactly: wide) else { throw cell.malformed("Int32-ranged") }
        return value
    }
}

extension Int16: PostgresEncodable, PostgresDecodable {
    public static var postgresType: PostgresType { .int2 }

    public func encode(into buffer: inout [UInt8]) { buffer.appendBigEndian(self) }

    public static func decode(from cell: PostgresCell) throws -> Int16 {
        let wide = try Int.decode(from: cell)
        guard let value = Int16(exactly: wide) else { throw cell.malformed("Int16-ranged") }
        return value
    }
}

extension Bool: PostgresEncodable, PostgresDecodable {
    public static var postgresType: PostgresType { .bool }

    public func encode(into buffer: inout [UInt8]) { buffer.append(self ? 1 : 0) }

    public static func decode(from cell: PostgresCell) throws -> Bool {
        try cell.requireType(.bool, decoding: Bool.self)
        let bytes = try cell.requireBytes()
        guard bytes.count == 1 else { throw cell.malformed("bool") }
        return bytes[0] != 0
    }
}

extension Double: PostgresEncodable, PostgresDecodable {
    public static var postgresType: PostgresType { .float8 }

    public func encode(into buffer: inout [UInt8]) { buffer.appendBigEndian(bitPattern) }

    public static func decode(from cell: PostgresCell) throws -> Double {
        let bytes = try cell.requireBytes()
        switch cell.type {
        case .float8: return Double(bitPattern: try cell.readInteger(UInt64.self, at: 0, in: bytes))
        case .float4: return Double(Float(bitPattern: try cell.readInteger(UInt32.self, at: 0, in: bytes)))
        default: throw cell.mismatch(Double.self)
        }
    }
}
