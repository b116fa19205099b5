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

    /// A measure scheduled for a couple's partner (or both) to answer on the portal: a CSI form or one of
    /// the practice's own measures (migration 0081).
    public struct Schedule: Sendable, Equatable {
        public var id: UUID
        /// nil: each partner answers their own.
        public var partnerID: UUID?
        public var form: PortalForm
        public var cadence: Cadence
        /// The partner may see their own series of the form on the portal.
        public var showTrend: Bool
        public var createdAt: Date
    }

    /// A measure a partner answered on the portal.
    public struct PortalAnswer: Sendable, Equatable {
        public var id: UUID
        public var partnerID: UUID
        public var form: PortalForm
        public var administeredOn: CalendarDate
        public var total: Double
    }

    /// The couple's live schedules and the measures answered on the portal (the chart's measures
    /// section, read with the chart: `ChartService.Record.portalMeasures`, audited `measure.trend` about
    /// the couple in the chart's one transaction).
    public struct PortalMeasures: Sendable, Equatable {
        public var schedules: [Schedule]
        public var answers: [PortalAnswer]
        /// The practice's own measures, which the counselor may schedule besides the CSI forms (by name).
        public var practiceMeasures: [PortalForm.PracticeMeasure] = []
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
        try await schedule(
            """
            SELECT d.id FROM measure_definitions d WHERE d.code = \(form.rawValue) AND d.practice_id IS NULL
            """,
            couple: couple,
            partner: partner,
            cadence: cadence,
            showTrend: showTrend,
            actor: actor
        )
    }

    /// Schedules one of the practice's own measures (a single-score definition of the practice, answered on
    /// the portal as one number within its range; migration 0081) for `partner` of the couple (nil: both).
    ///
    /// - Returns: the schedule's id.
    /// - Throws: `invalidInput` naming `form` for a definition that is not one of the practice's own
    ///   measures, `partner` for someone not of the couple; `notFound` for a couple out of the caseload.
    public func schedule(
        practiceMeasure definitionID: UUID,
        couple: UUID,
        partner: UUID?,
        cadence: Cadence,
        showTrend: Bool,
        actor: StaffActor
    ) async throws -> UUID {
        try await schedule(
            """
            SELECT d.id FROM measure_definitions d
            WHERE d.id = \(definitionID) AND d.practice_id IS NOT NULL AND d.scoring = 'single_score'
            """,
            couple: couple,
            partner: partner,
            cadence: cadence,
            showTrend: showTrend,
            actor: actor
        )
    }

    /// Schedules the definition `definition` selects (none: a form that is not one the portal asks).
    private func schedule(
        _ definition: PostgresQuery,
        couple: UUID,
        partner: UUID?,
        cadence: Cadence,
        showTrend: Bool,
        actor: StaffActor
    ) async throws -> UUID {
        try actor.validate()
        let (outcome, id, form) = try await pool.transaction(as: actor) { connection -> (String, UUID?, UUID?) in
            // The practice's own definitions are visible only to its staff (their policy): another
            // practice's, or none, is no form here, and the database refuses the schedule (and audits it).
            let form = try await connection.query(definition).singleRow()?.decode(0, as: UUID.self)
            let (outcome, id) = try await connection.query(
                """
                SELECT s.result, s.id FROM haven_measure_schedule(\(couple), \(partner), \(form), \
                \(cadence.rawValue), \(showTrend)) s
                """
            )[0].decode((String, UUID?).self)
            return (outcome, id, form)
        }
        switch (outcome, id) {
        case ("done", let id?): return id
        case ("invalid", _) where form == nil:
            throw ServiceError(.invalidInput, field: "form", "choose one of the questionnaires")
        case ("invalid", _): throw ServiceError(.invalidInput, field: "partner", "choose one of the couple's partners")
        default: throw ServiceError(.notFound, field: "couple", "no couple with this id in your caseload")
        }
    }

    /// Ends a schedule of `couple`: nothing more is due from it; what was answered stays (audited
    /// `measure.schedule.end`). The schedule must be the couple's: one named under another couple (a
    /// forged path) is ended nowhere and audited as denied about the couple named.
    ///
    /// - Throws: `notFound` for a schedule out of the caseload, of another couple, or already ended.
    public func endSchedule(_ schedule: UUID, couple: UUID, actor: StaffActor) async throws {
        try actor.validate()
        let outcome = try await pool.transaction(as: actor) { connection in
            let outcome = try await connection.query(
                """
                SELECT CASE WHEN EXISTS (SELECT 1 FROM measure_schedules m
                                         WHERE m.id = \(schedule) AND m.couple_id = \(couple))
                            THEN haven_measure_schedule_end(\(schedule)) ELSE 'other-couple' END
                """
            )[0].decode(0, as: String.self)
            if outcome == "other-couple" {
                try AuditStore.appendAtCommit(
                    AuditEvent(action: .measureScheduleEnd, entityType: .couple, entityID: couple, outcome: .denied),
                    on: connection
                )
            }
            return outcome
        }
        guard outcome == "done" else {
            throw ServiceError(.notFound, field: "schedule", "no such schedule in your caseload")
        }
    }

    /// The statements that read a couple's live schedules, what its partners answered on the portal and the
    /// practice's own measures the schedule form offers (nil: none, for a client's chart), in the order
    /// `portalMeasures(from:)` takes their rows: part of the chart's one read (`ChartService.record`), which
    /// audits them as `measure.trend` about the couple.
    static func portalMeasuresQueries(couple: UUID?) -> [PostgresQuery] {
        [
            """
            SELECT m.id, m.partner_id, m.cadence, m.show_trend, m.created_at,
                   d.id, d.code, d.scoring, d.name, d.minimum, d.maximum
            FROM measure_schedules m JOIN measure_definitions d ON d.id = m.definition_id
            WHERE m.couple_id = \(couple) AND m.ended_at IS NULL
            ORDER BY m.created_at, m.id
            """,
            """
            SELECT a.id, a.client_id, a.administered_on, a.total, d.id, d.code, d.scoring, d.name, d.minimum, d.maximum
            FROM measure_administrations a
            JOIN measure_schedules m ON m.id = a.schedule_id
            JOIN measure_definitions d ON d.id = a.definition_id
            WHERE m.couple_id = \(couple) AND a.voided_at IS NULL
            ORDER BY a.administered_on DESC, a.created_at DESC, a.id
            """,
            """
            SELECT d.id, d.code, d.scoring, d.name, d.minimum, d.maximum FROM measure_definitions d
            WHERE \(couple)::uuid IS NOT NULL AND d.practice_id IS NOT NULL AND d.scoring = 'single_score'
            ORDER BY d.name, d.code, d.id
            """,
        ]
    }

    /// The schedules, portal answers (newest first) and the practice's measures from the rows of
    /// `portalMeasuresQueries`.
    static func portalMeasures(from rows: ArraySlice<PostgresRows>) throws -> PortalMeasures {
        let schedules = try rows[rows.startIndex].compactMap { row -> Schedule? in
            let (id, partner, cadence, trend, created) = try row.decode((UUID, UUID?, String, Bool, Date).self)
            guard let form = try PortalForm.decode(row, from: 5), let cadence = Cadence(rawValue: cadence) else {
                return nil
            }
            return Schedule(
                id: id,
                partnerID: partner,
                form: form,
                cadence: cadence,
                showTrend: trend,
                createdAt: created
            )
        }
        let answers = try rows[rows.startIndex + 1].compactMap { row -> PortalAnswer? in
            let (id, partner, date, total) = try row.decode((UUID, UUID, CalendarDate, Double).self)
            return try PortalForm.decode(row, from: 4).map {
                PortalAnswer(id: id, partnerID: partner, form: $0, administeredOn: date, total: total)
            }
        }
        let practice = try rows[rows.startIndex + 2].compactMap { row -> PortalForm.PracticeMeasure? in
            guard case .practice(let measure) = try PortalForm.decode(row, from: 0) else { return nil }
            return measure
        }
        return PortalMeasures(schedules: schedules, answers: answers, practiceMeasures: practice)
    }
}
