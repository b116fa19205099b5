import Foundation
import HavenCore
import HavenStore
import Postgres

extension PortalService {
    /// A measure the counselor scheduled that is due from this partner (migration 0055): the schedule's
    /// id is the portal's address of it (`/portal/measures/{id}`).
    public struct DueMeasure: Sendable, Equatable {
        public var scheduleID: UUID
        public var form: CouplesSatisfactionIndex
        /// The start of the session it is due before; nil for a form scheduled once with no session booked.
        public var dueBefore: Date?
        /// The practice's time zone, in which the page states the session's day.
        public var timeZone: String
    }

    /// One of the partner's own answers in a series they may see (the counselor allowed the trend).
    public struct MeasurePoint: Sendable, Equatable {
        public var form: CouplesSatisfactionIndex
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

    /// What `/portal/measures` shows: the questionnaires due from the partner and their own totals.
    public struct Measures: Sendable, Equatable {
        public var due: [DueMeasure]
        /// Empty when the counselor did not allow the partner their trend.
        public var trend: [MeasurePoint]
    }

    /// The partner's measures due now (their own only, `haven_portal_measures_due()`) and their own
    /// totals on the forms whose schedule allows them their trend (`haven_portal_measure_trend()`), oldest
    /// first, in one transaction audited `portal.measure.read` with the chart's clients (migration 0081).
    ///
    /// - Throws: `ServiceError.sessionExpired` when the session is not live.
    public func measures(_ actor: PartnerActor) async throws -> Measures {
        try await pool.transaction(asPartner: actor) { connection, context in
            let due = try await Self.measuresDue(on: connection)
            let trend = try await connection.query(
                "SELECT code, administered_on, total FROM haven_portal_measure_trend()"
            ).compactMap {
                let (code, date, total) = try $0.decode((String, CalendarDate, Double).self)
                return CouplesSatisfactionIndex(rawValue: code).map {
                    MeasurePoint(form: $0, date: date, total: total)
                }
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
        try await connection.query("SELECT schedule_id, code, due_before, time_zone FROM haven_portal_measures_due()")
            .compactMap {
                let (id, code, due, zone) = try $0.decode((UUID, String, Date?, String).self)
                return CouplesSatisfactionIndex(rawValue: code).map {
                    DueMeasure(scheduleID: id, form: $0, dueBefore: due, timeZone: zone)
                }
            }
    }

    /// Scores the partner's answers with the counselor's own scoring (`CouplesSatisfactionIndex.score`)
    /// and submits them as a measure of this partner (`haven_portal_submit_measure`, audited
    /// `portal.measure.submit` with the partner as actor). Only a due item is answered, once.
    ///
    /// - Returns: the outcome and, when submitted, the total.
    /// - Throws: `invalidInput` naming `items[n]` or `items` for answers the form does not take (nothing
    ///   is written); `sessionExpired` when the session is not live.
    public func submitMeasure(
        schedule: UUID,
        items: [Int],
        actor: PartnerActor
    ) async throws -> (outcome: MeasureOutcome, total: Int?) {
        let result = try await pool.transaction(asPartner: actor) {
            connection,
            _ -> Result<(MeasureOutcome, Int?), ServiceError> in
            let due = try await Self.measuresDue(on: connection).first { $0.scheduleID == schedule }
            var score: CSIScore?
            if let due {
                do {
                    score = try due.form.score(items)
                } catch let error as DomainError {
                    return .failure(ServiceError(error))
                }
            }
            // Not due (answered, the other partner's, or none): the database answers which, and audits.
            let stored = score == nil ? [] : items.map { Int32($0) }
            let outcome = try await connection.query(
                """
                SELECT haven_portal_submit_measure(\(schedule), \(UUID()), \(stored)::int2[], \
                \(Double(score?.total ?? 0)))
                """
            )[0].decode(0, as: String.self)
            guard let known = MeasureOutcome(rawValue: outcome) else {
                return .failure(ServiceError(.invalidInput, field: "items", "the answers do not add up to the total"))
            }
            return .success((known, known == .submitted ? score?.total : nil))
        }
        return try result.get()
    }
}
