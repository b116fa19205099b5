import Foundation

extension Date: PostgresEncodable, PostgresDecodable {
    /// Sent as `timestamptz`: microseconds since 2000-01-01 00:00 UTC.
    public static var postgresType: PostgresType { .timestamptz }

    private static let postgresEpoch = Double(postgresEpochDaysSince1970) * 86_400

    public func encode(into buffer: inout [UInt8]) {
        let micros = ((timeIntervalSince1970 - Date.postgresEpoch) * 1_000_000).rounded()
        // Out-of-range instants (e.g. `distantFuture`) become PostgreSQL's infinities.
        let value: Int64 = micros >= 9.2e18 ? .max : micros <= -9.2e18 ? .min : Int64(micros)
        buffer.appendBigEndian(value)
    }

    public static func decode(from cell: PostgresCell) throws -> Date {
        try cell.requireType(.timestamptz, .timestamp, decoding: Date.self)
        let micros = try cell.readInteger(Int64.self, at: 0, in: try cell.requireBytes())
        switch micros {
        case .max: return .distantFuture
        case .min: return .distantPast
        default: return Date(timeIntervalSince1970: Double(micros) / 1_000_000 + postgresEpoch)
        }
    }
}
