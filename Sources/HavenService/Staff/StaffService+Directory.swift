import Foundation
import HavenStore
import Postgres

extension StaffService {
    /// Links a supervisor to a supervisee in one practice (operators): the supervisor then reaches
    /// the supervisee's caseload and may co-sign their notes. Audited.
    ///
    /// - Throws: `invalidInput` when both are the same person or the supervisor lacks the supervisor
    ///   role; `notFound` for staff not in the practice; `conflict` when the link exists.
    public func addSupervision(supervisor: UUID, supervisee: UUID, practiceID: UUID, source: String) async throws {
        guard supervisor != supervisee else {
            throw ServiceError(.invalidInput, field: "supervisee", "must be someone other than the supervisor")
        }
        do {
            try await pool.transaction(operatorIn: practiceID, source: source) { connection in
                let roles = try await connection.query(
                    "SELECT roles FROM staff WHERE id = \(supervisor) AND practice_id = \(practiceID) AND active"
                ).singleRow()?.decode(0, as: [String].self)
                guard let roles else {
                    throw ServiceError(.notFound, field: "supervisor", "no active staff member with this id")
                }
                guard roles.contains("supervisor") else {
                    throw ServiceError(.invalidInput, field: "supervisor", "does not hold the supervisor role")
                }
                let statements: [PostgresQuery] = [
                    """
                    INSERT INTO supervision_links (practice_id, supervisor_id, supervisee_id)
                    VALUES (\(practiceID), \(supervisor), \(supervisee))
                    """
                ]
                try await connection.commit(
                    statements,
                    audited: AuditEvent(
                        action: .staffSupervise,
                        entityType: .staff,
                        entityID: supervisee,
                        outcome: .success
                    )
                )
            }
        } catch let error as PostgresError where error.code == .uniqueViolation {
            throw ServiceError(.conflict, field: "supervisee", "is already supervised by this supervisor")
        } catch let error as PostgresError where error.code == .foreignKeyViolation {
            throw ServiceError(.notFound, field: "supervisee", "no staff member with this id in the practice")
        }
    }

    /// A practice as operators list them.
    public struct PracticeSummary: Sendable, Equatable {
        public var id: UUID
        public var name: String
        public var timeZone: String
        public var staff: Int
    }

    /// Every practice in the database (operators).
    public func practices() async throws -> [PracticeSummary] {
        try await pool.query(
            """
            SELECT p.id, p.name, p.time_zone, (SELECT count(*) FROM staff s WHERE s.practice_id = p.id)
            FROM practices p ORDER BY p.name, p.id
            """
        ).map { row in
            let (id, name, zone, staff) = try row.decode((UUID, String, String, Int).self)
            return PracticeSummary(id: id, name: name, timeZone: zone, staff: staff)
        }
    }

    /// One practice's staff (operators).
    public func staff(practiceID: UUID) async throws -> [PracticeService.StaffMember] {
        try await pool.query(
            """
            SELECT id, display_name, email, roles, active FROM staff WHERE practice_id = \(practiceID)
            ORDER BY display_name, id
            """
        ).map { row in
            let (id, name, email, roles, active) = try row.decode((UUID, String, String, [String], Bool).self)
            return PracticeService.StaffMember(id: id, displayName: name, email: email, roles: roles, active: active)
        }
    }
}
