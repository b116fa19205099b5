import Foundation
import HavenCore
import HavenStore
import Postgres

extension SessionService {
    /// A booked session and what the booking warns about.
    public struct Booking: Sendable, Equatable {
        /// The new session's id.
        public var id: UUID
        /// Sessions of the same clients (in any chart they are in, with any counselor) that overlap the
        /// new one: times and ids only, never clinical content.
        public var warnings: [String]
    }

    /// Books a session with `counselorID` as its counselor (by default the actor, or for a scheduler
    /// booking through the calendar, the chart's own counselor).
    ///
    /// Through the calendar (a scheduler, for a chart outside their own caseload) the counselor must be
    /// the chart's counselor, and a conjoint session of a couple flagged high-risk is refused: only the
    /// session's counselor can give the override reason, so they book it themselves.
    ///
    /// The type defaults to conjoint for a couple and individual for a client (`SessionType`); a
    /// conjoint session needs a couple's chart and an individual one a client's. A session that
    /// overlaps another non-cancelled session of the same counselor is refused unless `allowOverlap`
    /// (then audited as `session.schedule.overlap` beside the booking); one that overlaps a session of
    /// the same clients is booked with a warning. The counselor's booking lock (taken in the database,
    /// `haven_counselor_conflicts`) makes concurrent bookings take turns, and a trigger holds the rule
    /// for any writer. A conjoint (couple) session for a couple whose latest note records high risk
    /// needs `riskOverrideReason` (20 to 1000 characters whenever given, `RiskOverrideReason`), sealed
    /// and audited by `RiskOverride`, the gate joint homework shares.
    ///
    /// - Throws: `invalidInput` naming `durationMinutes`, `sessionType`, `riskOverrideReason` or
    ///   `counselorID`; `conflict` naming `start` with the conflicting session's time (audited as
    ///   denied); `forbidden` naming `riskOverrideReason` when a high-risk couple's conjoint session is
    ///   booked for another counselor (audited as denied); `notFound` when the chart is not in reach.
    public func book(
        _ chart: Chart,
        start: Date,
        durationMinutes: Int,
        format: SessionFormat,
        type: SessionType? = nil,
        serviceCode: ServiceCode? = nil,
        riskOverrideReason: String? = nil,
        allowOverlap: Bool = false,
        counselorID: UUID? = nil,
        actor: StaffActor
    ) async throws -> Booking {
        try Self.checkDuration(durationMinutes)
        let (coupleID, clientID): (UUID?, UUID?) =
            switch chart {
            case .couple(let couple): (couple, nil)
            case .client(let client): (nil, client)
            }
        let type = type ?? SessionType.defaultType(forCouple: coupleID != nil)
        do throws(DomainError) {
            try type.check(forCouple: coupleID != nil)
        } catch {
            throw ServiceError(error)
        }
        let reason = try RiskOverride.validate(riskOverrideReason)
        let id = UUID()
        let keys = self.keys
        let minutes = Int32(durationMinutes)
        let kind = coupleID == nil ? "client" : "couple"
        return try await pool.auditedTransaction(as: actor, reach: .calendar) { connection in
            // The chart's clients in the actor's own reach (nil when out of it), the same through the
            // calendar with the chart's counselor (nil unless the actor is a scheduler), and whether the
            // couple is flagged high-risk.
            let (ownClients, calendarClients, chartCounselor, highRisk, counselorInReach) = try await connection.query(
                """
                SELECT coalesce((SELECT ARRAY[partner_a_id, partner_b_id] FROM couples WHERE id = \(coupleID)),
                                (SELECT ARRAY[id] FROM clients WHERE id = \(clientID))),
                       cal.chart_clients, cal.chart_counselor,
                       \(coupleID)::uuid IS NOT NULL AND haven_couple_high_risk(\(coupleID)),
                       \(counselorID)::uuid IS NULL OR \(counselorID) = ANY (haven_current_caseload())
                FROM (SELECT 1) AS one
                LEFT JOIN haven_calendar_chart(\(kind), \(coupleID ?? clientID)) AS cal ON true
                """
            )[0].decode(([UUID]?, [UUID]?, UUID?, Bool, Bool).self)
            guard let clients = ownClients ?? calendarClients else {
                return try connection.refuse(
                    ServiceError(.notFound, field: "chart", "no such couple or client in your caseload"),
                    audited: AuditEvent(
                        action: .sessionSchedule,
                        entityType: coupleID == nil ? .client : .couple,
                        entityID: coupleID ?? clientID ?? id
                    )
                )
            }
            let counselor = counselorID ?? (ownClients == nil ? chartCounselor : nil) ?? actor.staffID
            if ownClients == nil, let chartCounselor, counselor != chartCounselor {
                return .failure(
                    ServiceError(
                        .invalidInput,
                        field: "counselorId",
                        "is not this chart's counselor; the calendar books a chart's sessions with its own counselor"
                    )
                )
            }
            // In one's own reach: oneself or a supervisee (a staff id outside it would fail the row's
            // policy, or name no one).
            if ownClients != nil, !counselorInReach {
                return .failure(
                    ServiceError(
                        .invalidInput,
                        field: "counselorId",
                        "is not you or a counselor you supervise; leave it out to book the session as your own"
                    )
                )
            }
            if highRisk && counselor != actor.staffID {
                return try connection.refuse(
                    ServiceError(
                        .forbidden,
                        field: "riskOverrideReason",
                        reason: "counselor-must-book",
                        "this couple's conjoint session needs its counselor's override reason; the counselor must book it"
                    ),
                    audited: AuditEvent(
                        action: .sessionScheduleRiskOverride,
                        entityType: .session,
                        entityID: id,
                        clientIDs: clients
                    )
                )
            }
            let who = counselor == actor.staffID ? "you already have" : "the counselor already has"
            // The counselor's other sessions at that time (taking the counselor's booking lock), and
            // the clients' sessions at that time with anyone.
            let counselorConflicts = try Self.slots(
                try await connection.query(
                    "SELECT * FROM haven_counselor_conflicts(\(counselor), \(start), \(minutes), NULL)"
                )
            )
            if let conflict = counselorConflicts.first, !allowOverlap {
                return try connection.refuse(
                    ServiceError(
                        .conflict,
                        field: "start",
                        reason: "session-overlap",
                        "\(who) \(conflict.described) at that time; choose another time, or allow the overlap on purpose"
                    ),
                    audited: AuditEvent(
                        action: .sessionSchedule,
                        entityType: .session,
                        entityID: id,
                        clientIDs: clients
                    )
                )
            }
            let clientOverlaps = try Self.slots(
                try await connection.query(
                    "SELECT * FROM haven_client_overlaps(\(clients), \(start), \(minutes), NULL)"
                )
            )
            let override = try await RiskOverride.pass(
                reason,
                for: .conjointSession,
                flaggedCouple: highRisk ? coupleID : nil,
                clients: clients,
                keys: keys,
                rowID: id,
                actor: actor,
                on: connection
            )
            let overlapped = !counselorConflicts.isEmpty
            var statements = override.liveKeyCheck
            statements.append(
                """
                INSERT INTO therapy_sessions (id, practice_id, couple_id, client_id, counselor_id, scheduled_start,
                                              duration_minutes, format, session_type, service_code, overlap_allowed,
                                              risk_override_reason, risk_override_key_id)
                VALUES (\(id), \(actor.practiceID), \(coupleID), \(clientID), \(counselor), \(start), \
                \(minutes), \(format.rawValue), \(type.rawValue), \(serviceCode?.code), \(overlapped), \
                \(override.sealedReason), \(override.keyID))
                """
            )
            if overlapped {
                statements += AuditStore.appendStatements(
                    AuditEvent(action: .sessionScheduleOverlap, entityType: .session, entityID: id, clientIDs: clients)
                )
            }
            try await connection.commit(
                statements,
                audited: AuditEvent(
                    action: override.overridden ? .sessionScheduleRiskOverride : .sessionSchedule,
                    entityType: .session,
                    entityID: id,
                    clientIDs: clients
                )
            )
            let also = counselor == actor.staffID ? "you also have" : "the counselor also has"
            let warnings =
                counselorConflicts.map { "\(also) \($0.described) at that time (booked as a deliberate overlap)" }
                + clientOverlaps.filter { slot in !counselorConflicts.contains(slot) }.map {
                    "the \(coupleID == nil ? "client" : "couple's partners") also have \($0.described) at that time"
                }
            return .success(Booking(id: id, warnings: warnings))
        }
    }

    /// Another session's slot, as a conflict or warning names it.
    struct Slot: Sendable, Equatable {
        var id: UUID
        var start: Date
        var minutes: Int

        /// "a session from 2026-11-20T15:00:00Z for 50 minutes (session 3f2a91c0)": a time and an id,
        /// nothing clinical.
        var described: String {
            let instant = ISO8601DateFormatter().string(from: start)
            return "a session from \(instant) for \(minutes) minutes (session \(id.lowercased.prefix(8)))"
        }
    }

    static func slots(_ rows: PostgresRows) throws -> [Slot] {
        try rows.map { row in
            let (id, start, minutes) = try row.decode((UUID, Date, Int32).self)
            return Slot(id: id, start: start, minutes: Int(minutes))
        }
    }
}
