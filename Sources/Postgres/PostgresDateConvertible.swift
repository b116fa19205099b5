/// A Swift date type that travels as PostgreSQL's `date`: a day, counted from 1970-01-01.
///
/// The driver owns the wire format (a 32-bit big-endian count of days since 2000-01-01, PostgreSQL's
/// epoch; `infinity` and `-infinity` are refused) but no calendar type of its own: the date type lives
/// with the domain, and the layer that imports both the domain and this driver declares the
/// conformance. A conforming type needs only the two members below; encoding and decoding come from
/// this protocol's extension.
public protocol PostgresDateConvertible: PostgresEncodable, PostgresDecodable {
    /// The date `days` days after 1970-01-01 (before it when negative).
    init(daysSince1970 days: Int)

    /// Days from 1970-01-01 to this date (negative before it).
    var daysSince1970: Int { get }
}

extension PostgresDateConvertible {
    /// Sent as `date`.
    public static var postgresType: PostgresType { .date }

    public func encode(into buffer: inout [UInt8]) {
        buffer.appendBigEndian(Int32(daysSince1970 - postgresEpochDaysSince1970))
    }

    public static func decode(from cell: PostgresCell) throws -> Self {
        try cell.requireType(.date, decoding: Self.self)
        let days = try cell.readInteger(Int32.self, at: 0, in: try cell.requireBytes())
        guard days != Int32.max, days != Int32.min else { throw cell.malformed("infinite date") }
        return Self(daysSince1970: Int(days) + postgresEpochDaysSince1970)
    }
}

/// Days between 1970-01-01 (Unix) and 2000-01-01 (PostgreSQL's epoch).
let postgresEpochDaysSince1970 = 10_957
