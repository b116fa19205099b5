import Foundation
import HavenCore
import HavenStore
import Postgres

extension PortalService {
    /// A measure the counselor scheduled that is due from this partner (migration 0055; a practice's own
    /// measure since 0081): the schedule's id is the portal's address of it (`/portal/measures/{id}`).
    public struct DueMeasure: Sendable, Equatable {
        public var scheduleID: UUID
        public var form: PortalForm
        /// The start of the session it is due before; nil for a form scheduled once with no session booked.
        public var dueBefore: Date?
        /// The practice's time zone, in which the page states the session's day.
        public var timeZone: String
    }

    /// One of the partner's own answers in a series they may see (the counselor allowed the trend).
    public struct MeasurePoint: Sendable, Equatable {
        public var form: PortalForm
        public var date: CalendarDate
        public var total: Double
    }

    /// What submitting a measure answered (the database's outcome, migration 0055).
    public enum MeasureOutcome: String, Sendable, Equatable {
        case submitted
        /// This due item was answered already: an answer is final.
        case answered
        /// Nothing of this schedule is due from this partner (the same for the other partner's item as
        /// for none).
        case notFound = "not-found"
    }

    /// A partner's answer to a due measure: a CSI form's items, or a practice measure's one number.
    public enum MeasureAnswer: Sendable, Equatable {
        case items([Int])
        case score(Double)
    }

    /// What `/portal/measures` shows: the questionnaires due from the partner and their own totals.
    public struct Measures: Sendable, Equatable {
        public var due: [DueMeasure]
        /// Empty when the counselor did not allow the partner their trend.
        public var trend: [MeasurePoint]
    }

    /// The partner's measures due now (their own only, `haven_portal_measures_due()`) and their own
    /// totals on the forms whose schedule allows them their trend (`haven_portal_measure_trend()`), oldest
    /// first, in one transaction audited `portal.measure.read` with the chart's clients (migration 0080).
    ///
    /// - Throws: `ServiceError.sessionExpired` when the session is not live.
    public func measures(_ actor: PartnerActor) async throws -> Measures {
        try await pool.transaction(asPartner: actor) { connection, context in
            let due = try await Self.measuresDue(on: connection)
            let trend = try await connection.query(
                """
                SELECT administered_on, total, definition_id, code, scoring, name, minimum, maximum
                FROM haven_portal_measure_trend()
                """
            ).compactMap { row -> MeasurePoint? in
                let (date, total) = try row.decode((CalendarDate, Double).self)
                return try PortalForm.decode(row, from: 2).map { MeasurePoint(form: $0, date: date, total: total) }
            }
            try Self.auditMeasureRead(context, found: true, on: connection)
            return Measures(due: due, trend: trend)
        }
    }

    /// One questionnaire due from the partner now, or nil when `schedule` is nothing due from them (answered,
    /// the other partner's, ended, or none: the same). Audited `portal.measure.read`, denied for nil.
    ///
    /// - Throws: `ServiceError.sessionExpired` when the session is not live.
    public func dueMeasure(_ schedule: UUID, actor: PartnerActor) async throws -> DueMeasure? {
        try await pool.transaction(asPartner: actor) { connection, context in
            let due = try await Self.measuresDue(on: connection).first { $0.scheduleID == schedule }
            try Self.auditMeasureRead(context, found: due != nil, on: connection)
            return due
        }
    }

    /// Appends `portal.measure.read` about the context's chart as the read's transaction commits (the
    /// database names the partner as actor and the chart's clients, whatever is passed).
    private static func auditMeasureRead(
        _ context: PartnerContext,
        found: Bool,
        on connection: isolated PostgresConnection
    ) throws {
        try AuditStore.appendAtCommit(
            AuditEvent(
                action: .portalMeasureRead,
                entityType: context.chart?.entityType,
                entityID: context.chart?.id,
                clientIDs: context.chartClientIDs,
                outcome: found ? .success : .denied
            ),
            on: connection
        )
    }

    /// The partner's due measures as `haven_portal_measures_due()` lists them (no audit entry: the
    /// caller's read or write appends its own).
    static func measuresDue(on connection: isolated PostgresConnection) async throws -> [DueMeasure] {
        try await connection.query(
            """
            SELECT schedule_id, due_before, time_zone, definition_id, code, scoring, name, minimum, maximum
            FROM haven_portal_measures_due()
            """
        ).compactMap { row -> DueMeasure? in
            let (id, due, zone) = try row.decode((UUID, Date?, String).self)
            return try PortalForm.decode(row, from: 3).map {
                DueMeasure(scheduleID: id, form: $0, dueBefore: due, timeZone: zone)
            }
        }
    }

    /// Submits a CSI form's answers item by item (`submitMeasure(schedule:answer:actor:)`).
    public func submitMeasure(
        schedule: UUID,
        items: [Int],
        actor: PartnerActor
    ) async throws -> (outcome: MeasureOutcome, total: Double?) {
        try await submitMeasure(schedule: schedule, answer: .items(items), actor: actor)
    }

    /// Scores the partner's answer on the server and submits it as a measure of this partner
    /// (`haven_portal_submit_measure`, audited `portal.measure.submit` with the partner as actor): a CSI
    /// form's items with the counselor's own scoring (`CouplesSatisfactionIndex.score`), a practice
    /// measure's number as its score when it lies within the measure's range. The database checks the
    /// answer again. Only a due item is answered, once.
    ///
    /// - Returns: the outcome and, when submitted, the total.
    /// - Throws: `invalidInput` naming `items[n]`, `items` or `score` for an answer the measure does not
    ///   take (nothing is written); `sessionExpired` when the session is not live.
    public func submitMeasure(
        schedule: UUID,
        answer: MeasureAnswer,
        actor: PartnerActor
    ) async throws -> (outcome: MeasureOutcome, total: Double?) {
        let result = try await pool.transaction(asPartner: actor) {
            connection,
            _ -> Result<(MeasureOutcome, Double?), ServiceError> in
            let due = try await Self.measuresDue(on: connection).first { $0.scheduleID == schedule }
            // Not due (answered, the other partner's, or none): nothing is sent, the database answers which,
            // and audits.
            var stored: (items: [Int32], total: Double) = ([], 0)
            if let due {
                do {
                    stored = try Self.scored(answer, of: due.form)
                } catch let error as DomainError {
                    return .failure(ServiceError(error))
                } catch let error as ServiceError {
                    return .failure(error)
                }
            }
            let outcome = try await connection.query(
                """
                SELECT haven_portal_submit_measure(\(schedule), \(UUID()), \(stored.items)::int2[], \(stored.total))
                """
            )[0].decode(0, as: String.self)
            guard let known = MeasureOutcome(rawValue: outcome) else {
                return .failure(
                    ServiceError(.invalidInput, field: "items", "the answer is not one this questionnaire takes")
                )
            }
            return .success((known, known == .submitted ? stored.total : nil))
        }
        return try result.get()
    }

    /// The items and total to store for `answer` to `form`, scored as the counselor's own form scores them.
    ///
    /// - Throws: `DomainError` for CSI items the form does not take; `ServiceError.invalidInput` for a number
    ///   outside a practice measure's range, or an answer of the other kind.
    private static func scored(_ answer: MeasureAnswer, of form: PortalForm) throws -> (items: [Int32], total: Double) {
        switch (form, answer) {
        case (.csi(let csi), .items(let items)):
            // Scored first: the form's ranges make every item fit the column's int2.
            let total = try csi.score(items).total
            return (items.map { Int32($0) }, Double(total))
        case (.practice(let measure), .score(let value)):
            return ([], try measure.score(value))
        case (.csi, .score):
            throw ServiceError(.invalidInput, field: "items", "answer each item of the questionnaire")
        case (.practice, .items):
            throw ServiceError(.invalidInput, field: "score", "give one number")
        }
    }
}
