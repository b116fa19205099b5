import Foundation
import HavenCore
import HavenStore
import Postgres

extension PortalService {
    /// What the portal's home page shows: the practice's name, the chart chosen, the homework asked of
    /// the partner (their own and the couple's: instructions and due date), the measures due from them,
    /// and the next appointment's date and time. Nothing of the other partner's, no clinical record.
    public struct Home: Sendable, Equatable {
        public struct Assignment: Sendable, Equatable {
            public var id: UUID
            public var title: String
            public var instructions: String
            public var dueOn: CalendarDate
            /// Addressed to both partners (otherwise to this partner alone).
            public var joint: Bool
            /// A joint exercise while the chart is in safety mode: switched off as a joint exercise (an
            /// answer to it still reaches the counselor only).
            public var paused: Bool
            /// The series this is a released step of (`Home.series`), its position, and the step's
            /// questions; nil and empty for an assignment given on its own.
            public var seriesID: UUID? = nil
            public var seriesPosition: Int? = nil
            public var questions: [String] = []
            /// The partner has submitted an answer to it.
            public var answered = false
        }

        /// A series given to the partner (or both): its released steps are in `assignments`; of the
        /// upcoming ones only their number is known here, never their prompts (migration 0056).
        public struct Series: Sendable, Equatable {
            public var id: UUID
            public var title: String
            public var steps: Int
            public var released: Int
            public var upcoming: Int { steps - released }
        }

        public struct Appointment: Sendable, Equatable {
            public var start: Date
            public var durationMinutes: Int
            /// The practice's time zone, in which the page states the date and time.
            public var timeZone: String
        }

        public var practiceName: String
        /// nil until the partner chooses one of their charts.
        public var chart: ChartReference?
        public var assignments: [Assignment]
        public var series: [Series] = []
        public var nextAppointment: Appointment?
        /// The measures due from this partner (`measuresDue`).
        public var measures: [DueMeasure] = []
        /// An open high-risk flag on the couple: sharing and joint exercises are off, and the portal
        /// shows the practice's safety page.
        public var safetyMode: Bool
    }

    /// The home page's content for the session's chart; audited `portal.home.read` with the chart's
    /// clients.
    ///
    /// - Throws: `ServiceError.sessionExpired` when the session is not live.
    public func home(_ actor: PartnerActor) async throws -> Home {
        try await pool.transaction(asPartner: actor) { connection, context in
            let name = try await connection.query("SELECT name FROM practices")[0].decode(0, as: String.self)
            let safety = try await connection.query("SELECT haven_portal_safety_mode()")[0].decode(0, as: Bool.self)
            let assignments = try await connection.query(
                """
                SELECT id, title, instructions, due_on, joint, series_assignment_id, series_position::int4, questions,
                       answered
                FROM haven_portal_assignments()
                """
            ).map {
                let (id, title, instructions, due, joint) = try $0.decode(
                    (UUID, String, String, CalendarDate, Bool).self
                )
                let (series, position, questions, answered) = try $0.decode(
                    (UUID?, Int32?, [String], Bool).self,
                    from: 5
                )
                return Home.Assignment(
                    id: id,
                    title: title,
                    instructions: instructions,
                    dueOn: due,
                    joint: joint,
                    paused: joint && safety,
                    seriesID: series,
                    seriesPosition: position.map(Int.init),
                    questions: questions,
                    answered: answered
                )
            }
            let series = try await connection.query(
                "SELECT id, title, steps, released FROM haven_portal_series()"
            ).map {
                let (id, title, steps, released) = try $0.decode((UUID, String, Int32, Int32).self)
                return Home.Series(id: id, title: title, steps: Int(steps), released: Int(released))
            }
            let next = try await connection.query(
                "SELECT scheduled_start, duration_minutes, time_zone FROM haven_portal_next_session()"
            ).singleRow().map {
                let (start, minutes, zone) = try $0.decode((Date, Int32, String).self)
                return Home.Appointment(start: start, durationMinutes: Int(minutes), timeZone: zone)
            }
            let measures = try await Self.measuresDue(on: connection)
            try AuditStore.appendAtCommit(
                AuditEvent(
                    action: .portalHomeRead,
                    entityType: context.chart?.entityType,
                    entityID: context.chart?.id,
                    clientIDs: context.chartClientIDs
                ),
                on: connection
            )
            return Home(
                practiceName: name,
                chart: context.chart,
                assignments: assignments,
                series: series,
                nextAppointment: next,
                measures: measures,
                safetyMode: safety
            )
        }
    }
}
