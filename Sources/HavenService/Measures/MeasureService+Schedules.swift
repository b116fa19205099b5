import Foundation
import HavenCore
import HavenStore
import Postgres

extension MeasureService {
    /// How often a scheduled form is due from the partner on the portal (migration 0055).
    public enum Cadence: String, Sendable, CaseIterable {
        /// Due until answered, once.
        case once
        /// Due before every session of the chart.
        case everySession = "every_session"
        /// Due before the first session after scheduling, then every second one.
        case everyOtherSession = "every_other_session"
    }

    /// A CSI form scheduled for a couple's partner (or both) to answer on the portal.
    public struct Schedule: Sendable, Equatable {
        public var id: UUID
        /// nil: each partner answers their own.
        public var partnerID: UUID?
        public var form: CouplesSatisfactionIndex
        public var cadence: Cadence
        /// The partner may see their own series of the form on the portal.
        public var showTrend: Bool
        public var createdAt: Date
    }

    /// A measure a partner answered on the portal.
    public struct PortalAnswer: Sendable, Equatable {
        public var id: UUID
        public var partnerID: UUID
        public var form: CouplesSatisfactionIndex
        public var administeredOn: CalendarDate
        public var total: Double
    }

    /// The couple's live schedules and the measures answered on the portal (the chart's measures
    /// section; audited `measure.trend` about the couple).
    public struct PortalMeasures: Sendable, Equatable {
        public var schedules: [Schedule]
        public var answers: [PortalAnswer]
    }

    /// Schedules `form` for `partner` of the couple (nil: both, each their own) to answer on the portal
    /// (`haven_measure_schedule`, audited `measure.schedule` by the database either way).
    ///
    /// - Returns: the schedule's id.
    /// - Throws: `notFound` for a couple out of the caseload; `invalidInput` naming `partner` for someone
    ///   not of the couple.
    public func schedule(
        _ form: CouplesSatisfactionIndex,
        couple: UUID,
        partner: UUID?,
        cadence: Cadence,
        showTrend: Bool,
        actor: StaffActor
    ) async throws -> UUID {
        try actor.validate()
        let (outcome, id) = try await pool.transaction(as: actor) { connection in
            try await connection.query(
                """
                SELECT s.result, s.id FROM haven_measure_schedule(\(couple), \(partner), \
                (SELECT d.id FROM measure_definitions d WHERE d.code = \(form.rawValue) AND d.practice_id IS NULL), \
                \(cadence.rawValue), \(showTrend)) s
                """
            )[0].decode((String, UUID?).self)
        }
        switch (outcome, id) {
        case ("done", let id?): return id
        case ("invalid", _): throw ServiceError(.invalidInput, field: "partner", "choose one of the couple's partners")
        default: throw ServiceError(.notFound, field: "couple", "no couple with this id in your caseload")
        }
    }

    /// Ends a schedule: nothing more is due from it; what was answered stays (audited
    /// `measure.schedule.end`).
    ///
    /// - Throws: `notFound` for a schedule out of the caseload or already ended.
    public func endSchedule(_ schedule: UUID, actor: StaffActor) async throws {
        try actor.validate()
        let outcome = try await pool.transaction(as: actor) { connection in
            try await connection.query("SELECT haven_measure_schedule_end(\(schedule))")[0].decode(0, as: String.self)
        }
        guard outcome == "done" else {
            throw ServiceError(.notFound, field: "schedule", "no such schedule in your caseload")
        }
    }

    /// The couple's live schedules and what its partners answered on the portal, newest answers first.
    public func portalMeasures(couple: UUID, partners: [UUID], actor: StaffActor) async throws -> PortalMeasures {
        try actor.validate()
        return try await pool.transaction(as: actor) { connection in
            let schedules = try await connection.query(
                """
                SELECT m.id, m.partner_id, d.code, m.cadence, m.show_trend, m.created_at
                FROM measure_schedules m JOIN measure_definitions d ON d.id = m.definition_id
                WHERE m.couple_id = \(couple) AND m.ended_at IS NULL
                ORDER BY m.created_at, m.id
                """
            ).compactMap { row -> Schedule? in
                let (id, partner, code, cadence, trend, created) = try row.decode(
                    (UUID, UUID?, String, String, Bool, Date).self
                )
                guard let form = CouplesSatisfactionIndex(rawValue: code), let cadence = Cadence(rawValue: cadence)
                else { return nil }
                return Schedule(
                    id: id,
                    partnerID: partner,
                    form: form,
                    cadence: cadence,
                    showTrend: trend,
                    createdAt: created
                )
            }
            let answers = try await connection.query(
                """
                SELECT a.id, a.client_id, d.code, a.administered_on, a.total
                FROM measure_administrations a
                JOIN measure_schedules m ON m.id = a.schedule_id
                JOIN measure_definitions d ON d.id = a.definition_id
                WHERE m.couple_id = \(couple) AND a.voided_at IS NULL
                ORDER BY a.administered_on DESC, a.created_at DESC, a.id
                """
            ).compactMap { row -> PortalAnswer? in
                let (id, partner, code, date, total) = try row.decode((UUID, UUID, String, CalendarDate, Double).self)
                return CouplesSatisfactionIndex(rawValue: code).map {
                    PortalAnswer(id: id, partnerID: partner, form: $0, administeredOn: date, total: total)
                }
            }
            try AuditStore.appendAtCommit(
                AuditEvent(action: .measureTrend, entityType: .couple, entityID: couple, clientIDs: partners),
                on: connection
            )
            return PortalMeasures(schedules: schedules, answers: answers)
        }
    }
}
