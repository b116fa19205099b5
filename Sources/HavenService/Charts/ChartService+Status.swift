import Foundation
import HavenCore
import HavenStore
import Postgres

extension ChartService {
    /// What setting a chart's care status did.
    public struct StatusChange: Sendable, Equatable {
        /// The chart whose status was set.
        public var chart: ChartReference
        /// Its status before the request.
        public var previous: CareStatus
        /// Its status now.
        public var status: CareStatus

        /// Whether the status changed (setting the status a chart already has changes nothing).
        public var changed: Bool { previous != status }

        public init(chart: ChartReference, previous: CareStatus, status: CareStatus) {
            self.chart = chart
            self.previous = previous
            self.status = status
        }
    }

    /// Sets a couple's or client's care status: `active`, `paused` or `discharged` (docs/portal.md,
    /// "How access ends"). Any move is allowed, back to `active` too; setting the status the chart
    /// already has is a no-op that succeeds (`StatusChange.changed` is false). Audited as
    /// `couple.status.set` or `client.status.set` with the chart's clients, whatever the outcome.
    ///
    /// What follows in the database, by its triggers, in this transaction: leaving `active` ends every
    /// portal session on the chart (its partners are signed out at their next request, and no reminder
    /// goes to them while it is not active); `discharged` also turns the chart's portal access off and
    /// cancels its open invitations, so after a discharge the partners need a new invitation. Sessions
    /// already booked stay on the calendar: nothing is cancelled here.
    ///
    /// - Parameters:
    ///   - status: the new status.
    ///   - chart: the couple or client chart.
    ///   - actor: who may write the chart: its counselor (a client's primary counselor) or their
    ///     supervisor, as for every chart write (row-level security's caseload).
    /// - Returns: the status before and after.
    /// - Throws: `notFound` (audited as denied) for a chart out of the actor's reach or not there (a
    ///   chart open to the actor only under break-glass too: that grant reads, it never writes);
    ///   `forbidden` (audited as denied) for a chart the actor reads but row-level security would not let
    ///   them write: an individual chart they read only as a partner of their couple while another
    ///   counselor keeps it, or a couple of theirs whose partners another counselor keeps; `conflict`
    ///   naming `status` when a couple made active has a partner already in another active couple.
    public func setStatus(
        _ status: CareStatus,
        of chart: ChartReference,
        actor: StaffActor
    ) async throws
        -> StatusChange
    {
        try actor.validate()
        let action: AuditEvent.Action = chart.kind == "couple" ? .coupleStatusSet : .clientStatusSet
        let found: PostgresQuery =
            switch chart {
            case .couple(let id):
                """
                SELECT status, ARRAY[partner_a_id, partner_b_id],
                       haven_couple_in_caseload(id) AND haven_client_in_caseload(partner_a_id)
                       AND haven_client_in_caseload(partner_b_id)
                FROM couples WHERE id = \(id) FOR UPDATE
                """
            case .client(let id):
                "SELECT status, ARRAY[id], haven_client_in_caseload(id) FROM clients WHERE id = \(id) FOR UPDATE"
            }
        let update: PostgresQuery =
            switch chart {
            case .couple(let id): "UPDATE couples SET status = \(status.rawValue) WHERE id = \(id)"
            case .client(let id): "UPDATE clients SET status = \(status.rawValue) WHERE id = \(id)"
            }
        do {
            return try await pool.auditedTransaction(as: actor) { connection -> UseCaseResult<StatusChange> in
                let entry = AuditEvent(action: action, entityType: chart.entityType, entityID: chart.id)
                guard let row = try await connection.query(found).singleRow() else {
                    return try connection.refuse(
                        ServiceError(.notFound, field: chart.kind, "no \(chart.kind) with this id in your caseload"),
                        audited: entry
                    )
                }
                let (stored, clients, writable) = try row.decode((String, [UUID], Bool).self)
                var success = entry
                success.clientIDs = clients
                guard writable else {
                    return try connection.refuse(
                        ServiceError(
                            .forbidden,
                            field: chart.kind,
                            "only the counselor who keeps this chart and its clients, or their supervisor, may change "
                                + "its status"
                        ),
                        audited: success
                    )
                }
                let change = StatusChange(chart: chart, previous: try CareStatus.parse(stored), status: status)
                try await connection.commit(change.changed ? [update] : [], audited: success)
                return .success(change)
            }
        } catch let error as PostgresError where error.constraint == "couples_one_active_per_client" {
            throw ServiceError(
                .conflict,
                field: "status",
                "a partner is already in another active couple; discharge that couple first"
            )
        } catch let error as PostgresError where error.code == .insufficientPrivilege {
            // Row-level security's WITH CHECK, should the reach change between the check and the write.
            throw ServiceError(.forbidden, field: chart.kind, "you may not change this chart's status")
        }
    }
}
