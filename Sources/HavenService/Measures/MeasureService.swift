import Foundation
import HavenCore
import HavenStore
import Postgres

/// Outcome measures: record an administration (scored in HavenCore), and read a client's series
/// with baseline, latest and — when the definition carries SD and reliability — the reliable-change
/// label and index.
public struct MeasureService: Sendable {
    let pool: ConnectionPool
    /// Seals a void's reason (`void`); the other use cases seal nothing.
    let keys: KeyManager?

    public init(pool: ConnectionPool, keys: KeyManager? = nil) {
        self.pool = pool
        self.keys = keys
    }

    private struct Definition: Sendable {
        var scoring: String
        var minimum: Double
        var maximum: Double
        var higherIsBetter: Bool
        var cutoff: Double?
        var standardDeviation: Double?
        var reliability: Double?
    }

    private static func definition(_ id: UUID, on connection: PostgresConnection) async throws -> Definition? {
        try await connection.query(
            """
            SELECT scoring, minimum, maximum, higher_is_better, cutoff, standard_deviation, reliability
            FROM measure_definitions WHERE id = \(id)
            """
        ).singleRow().map { row in
            let (scoring, minimum, maximum, higher, cutoff, sd, reliability) = try row.decode(
                (String, Double, Double, Bool, Double?, Double?, Double?).self
            )
            return Definition(
                scoring: scoring,
                minimum: minimum,
                maximum: maximum,
                higherIsBetter: higher,
                cutoff: cutoff,
                standardDeviation: sd,
                reliability: reliability
            )
        }
    }

    /// Finds a definition by its code (e.g. `CSI-4`), built-in or the practice's own.
    public func definitionID(code: String, actor: StaffActor) async throws -> UUID {
        try actor.validate()
        let found = try await pool.transaction(as: actor) { connection in
            try await connection.query(
                "SELECT id FROM measure_definitions WHERE code = \(code) ORDER BY practice_id NULLS LAST LIMIT 1"
            ).singleRow().map { try $0.decode(0, as: UUID.self) }
        }
        guard let found else { throw ServiceError(.notFound, field: "measure", "no measure with this code") }
        return found
    }

    /// Records an administration. CSI forms take `items`; single-score measures take `score`.
    ///
    /// - Throws: `invalidInput` naming `items[n]`, `items` or `score`, or `administeredOn` for a day
    ///   after today (practice time) or before the client's intake; `notFound` for a measure or client
    ///   out of reach.
    public func record(
        measure definitionID: UUID,
        client clientID: UUID,
        administeredOn: CalendarDate,
        items: [Int] = [],
        score: Double? = nil,
        session sessionID: UUID? = nil,
        actor: StaffActor
    ) async throws -> (id: UUID, total: Double) {
        try actor.validate()
        let id = UUID()
        let outcome = try await pool.transaction(as: actor) { connection -> Result<Double, ServiceError> in
            guard let definition = try await Self.definition(definitionID, on: connection) else {
                return .failure(ServiceError(.notFound, field: "measure", "no such measure"))
            }
            let total: Double
            do {
                switch definition.scoring {
                case "csi4": total = Double(try CouplesSatisfactionIndex.csi4.score(items).total)
                case "csi16": total = Double(try CouplesSatisfactionIndex.csi16.score(items).total)
                case "csi32": total = Double(try CouplesSatisfactionIndex.csi32.score(items).total)
                default:
                    guard let score, score.isFinite, (definition.minimum...definition.maximum).contains(score) else {
                        return .failure(
                            ServiceError(
                                .invalidInput,
                                field: "score",
                                "must be between \(definition.minimum) and \(definition.maximum)"
                            )
                        )
                    }
                    total = score
                }
            } catch let error as DomainError {
                return .failure(ServiceError(error))
            }
            // A measure is recorded for a day it could have been given: not after today in the
            // practice's time zone, not before the client's intake.
            if let row = try await connection.query(
                """
                SELECT \(administeredOn) > (now() AT TIME ZONE p.time_zone)::date, \(administeredOn) < k.intake_date
                FROM clients k JOIN practices p ON p.id = k.practice_id WHERE k.id = \(clientID)
                """
            ).singleRow() {
                let (future, beforeIntake) = try row.decode((Bool, Bool).self)
                if future {
                    return .failure(
                        ServiceError(
                            .invalidInput,
                            field: "administeredOn",
                            "is after today (in the practice's time zone)"
                        )
                    )
                }
                if beforeIntake {
                    return .failure(
                        ServiceError(.invalidInput, field: "administeredOn", "is before the client's intake date")
                    )
                }
            }
            let inserted = try await connection.query(
                """
                INSERT INTO measure_administrations (id, practice_id, definition_id, client_id, session_id, counselor_id,
                                                     administered_on, items, total)
                SELECT \(id), \(actor.practiceID), \(definitionID), k.id, \(sessionID), k.primary_counselor_id, \
                \(administeredOn), \(items.map { Int32($0) })::int2[], \(total)
                FROM clients k WHERE k.id = \(clientID)
                RETURNING id
                """
            )
            guard inserted.count == 1 else {
                return .failure(ServiceError(.notFound, field: "client", "no client with this id in your caseload"))
            }
            try AuditStore.appendAtCommit(
                AuditEvent(action: .measureRecord, entityType: .measure, entityID: id, clientIDs: [clientID]),
                on: connection
            )
            return .success(total)
        }
        return (
            id,
            try await pool.valueRecordingDenial(
                outcome,
                action: .measureRecord,
                entityType: .client,
                entityID: clientID,
                actor: actor
            )
        )
    }

    /// A client's series on one measure, oldest first, with baseline → latest and reliable change.
    /// Voided administrations are never points: they count in neither the baseline nor the latest.
    public struct Trend: Sendable, Equatable {
        public var points: [(id: UUID, date: CalendarDate, total: Double)]
        /// The voided administrations, when asked for (`includeVoided`), oldest first; empty otherwise.
        public var voided: [(id: UUID, date: CalendarDate, total: Double)] = []
        public var cutoff: Double?
        /// The Jacobson–Truax index from the first to the last point, when the measure has SD and r.
        public var reliableChangeIndex: Double?
        public var label: ReliableChange.Label?

        public static func == (lhs: Trend, rhs: Trend) -> Bool {
            lhs.points.map(\.id) == rhs.points.map(\.id) && lhs.points.map(\.date) == rhs.points.map(\.date)
                && lhs.points.map(\.total) == rhs.points.map(\.total) && lhs.voided.map(\.id) == rhs.voided.map(\.id)
                && lhs.cutoff == rhs.cutoff && lhs.label == rhs.label
        }
    }

    /// The client's administrations of one measure (audited as a read); voided ones only when
    /// `includeVoided`, and then apart from the series.
    public func trend(
        measure definitionID: UUID,
        client clientID: UUID,
        includeVoided: Bool = false,
        actor: StaffActor
    ) async throws -> Trend {
        try actor.validate()
        let chart = ChartReference.client(clientID)
        return try await pool.readingChart(chart, action: .measureTrend, actor: actor) {
            try await trendInReach(measure: definitionID, client: clientID, includeVoided: includeVoided, actor: actor)
        }
    }

    private func trendInReach(
        measure definitionID: UUID,
        client clientID: UUID,
        includeVoided: Bool,
        actor: StaffActor
    ) async throws -> Trend {
        try await pool.transaction(as: actor, prologue: [ChartReference.client(clientID).reachCheck]) {
            connection,
            _ in
            guard let definition = try await Self.definition(definitionID, on: connection) else {
                throw ServiceError(.notFound, field: "measure", "no such measure")
            }
            let rows = try await connection.query(
                """
                SELECT id, administered_on, total, voided_at IS NOT NULL FROM measure_administrations
                WHERE client_id = \(clientID) AND definition_id = \(definitionID)
                  AND (voided_at IS NULL OR \(includeVoided))
                ORDER BY administered_on, created_at, id
                """
            ).map { try $0.decode((UUID, CalendarDate, Double, Bool).self) }
            let points = rows.filter { !$0.3 }.map { (id: $0.0, date: $0.1, total: $0.2) }
            try AuditStore.appendAtCommit(
                AuditEvent(action: .measureTrend, entityType: .client, entityID: clientID, clientIDs: [clientID]),
                on: connection
            )
            var trend = Trend(points: points, cutoff: definition.cutoff)
            trend.voided = rows.filter(\.3).map { (id: $0.0, date: $0.1, total: $0.2) }
            if let first = points.first, let last = points.last, points.count >= 2,
                let sd = definition.standardDeviation, let reliability = definition.reliability
            {
                let change = try ReliableChange(
                    standardDeviation: sd,
                    reliability: reliability,
                    higherIsBetter: definition.higherIsBetter
                )
                trend.reliableChangeIndex = change.index(from: first.total, to: last.total)
                trend.label = change.label(from: first.total, to: last.total)
            }
            return trend
        }
    }
}
