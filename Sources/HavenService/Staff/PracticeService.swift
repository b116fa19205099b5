import Foundation
import Postgres

/// What every staff member may read about their practice: its settings and its staff directory
/// (names and roles; no clinical data).
public struct PracticeService: Sendable {
    let pool: ConnectionPool

    /// - Parameter pool: connections as the application role.
    public init(pool: ConnectionPool) {
        self.pool = pool
    }

    /// A practice's settings.
    public struct Practice: Sendable, Equatable {
        public var id: UUID
        public var name: String
        /// IANA name; dates are shown in it.
        public var timeZone: String
    }

    /// One staff member as colleagues see them.
    public struct StaffMember: Sendable, Equatable {
        public var id: UUID
        public var displayName: String
        public var email: String
        public var roles: [String]
        public var active: Bool
    }

    /// The actor's practice (part of the calendar: the front desk needs its time zone).
    public func practice(actor: StaffActor) async throws -> Practice {
        try await pool.transaction(as: actor, reach: .calendar) { connection in
            guard
                let row = try await connection.query(
                    "SELECT id, name, time_zone FROM practices WHERE id = \(actor.practiceID)"
                ).singleRow()
            else { throw ServiceError(.notFound, field: "practice", "no such practice") }
            let (id, name, zone) = try row.decode((UUID, String, String).self)
            return Practice(id: id, name: name, timeZone: zone)
        }
    }

    /// The practice's staff, by name (part of the calendar: the front desk books for a counselor).
    public func staff(actor: StaffActor) async throws -> [StaffMember] {
        try await pool.transaction(as: actor, reach: .calendar) { connection in
            try await connection.query(
                "SELECT id, display_name, email, roles, active FROM staff ORDER BY display_name, id"
            ).map { row in
                let (id, name, email, roles, active) = try row.decode((UUID, String, String, [String], Bool).self)
                return StaffMember(id: id, displayName: name, email: email, roles: roles, active: active)
            }
        }
    }
}
