import Foundation
import HavenCore
import HavenStore
import Postgres

extension ChartService {
    /// A client chart's demographics.
    public struct Client: Sendable, Equatable {
        public var id: UUID
        public var legalName: String
        public var preferredName: String?
        public var pronouns: String?
        public var dateOfBirth: CalendarDate?
        public var intakeDate: CalendarDate
        public var status: String
        public var attachmentStyle: String?
        public var primaryCounselorID: UUID
    }

    static let clientColumns: StaticString = """
        id, legal_name, preferred_name, pronouns, date_of_birth, intake_date, status, attachment_style, primary_counselor_id
        """

    static func client(from row: PostgresRow) throws -> Client {
        let (id, legal, preferred, pronouns, birth, intake, status, style, counselor) = try row.decode(
            (UUID, String, String?, String?, CalendarDate?, CalendarDate, String, String?, UUID).self
        )
        return Client(
            id: id,
            legalName: legal,
            preferredName: preferred,
            pronouns: pronouns,
            dateOfBirth: birth,
            intakeDate: intake,
            status: status,
            attachmentStyle: style,
            primaryCounselorID: counselor
        )
    }

    /// Reads a client chart (audited; out of reach is `notFound`, audited as denied).
    public func client(_ id: UUID, actor: StaffActor) async throws -> Client {
        let found = try await pool.transaction(as: actor) { connection -> Client? in
            let client = try await connection.query(
                "SELECT \(unescaped: Self.clientColumns) FROM clients WHERE id = \(id)"
            ).singleRow().map(Self.client)
            try AuditStore.appendAtCommit(
                AuditEvent(
                    action: .clientRead,
                    entityType: .client,
                    entityID: id,
                    clientIDs: client == nil ? [] : [id],
                    outcome: client == nil ? .denied : .success
                ),
                on: connection
            )
            return client
        }
        guard let found else {
            throw ServiceError(.notFound, field: "client", "no client with this id in your caseload")
        }
        return found
    }

    /// The clients in the actor's reach, by name. Audited as a caseload read.
    public func listClients(actor: StaffActor) async throws -> [Client] {
        try await pool.transaction(as: actor) { connection in
            let rows = try await connection.commit(
                [
                    "SELECT \(unescaped: Self.clientColumns) FROM clients ORDER BY legal_name, id"
                ],
                audited: AuditEvent(action: .clientList, entityType: .caseload, entityID: actor.staffID)
            )
            return try rows[0].map(Self.client)
        }
    }
}
