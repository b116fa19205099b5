import Foundation
import HavenCore

extension TodayService {
    /// A counselor's day: what they open first. Everything in it is their own work (their sessions,
    /// their drafts, their couples), except the co-signature queue, which is their supervisees'.
    public struct Day: Sendable, Equatable {
        /// Today in the practice's time zone.
        public var date: CalendarDate
        /// The practice's time zone (an IANA name), in which `date` and "tomorrow" are counted.
        public var timeZone: String
        /// The counselor's sessions today and tomorrow, by start, whatever their status.
        public var appointments: [Appointment]
        /// Sessions whose time is over but that are still `scheduled`: mark them completed, no-show or
        /// cancelled.
        public var unfinished: [Appointment]
        /// Progress notes the counselor has started and not signed.
        public var drafts: [NoteItem]
        /// Signed notes of pre-licensed supervisees that await this supervisor's co-signature.
        public var toCosign: [NoteItem]
        /// The counselor's own signed notes that await a supervisor's co-signature (when they are
        /// pre-licensed).
        public var awaitingCosignature: [NoteItem]
        /// Homework past its due date that someone it was given to has not answered.
        public var overdueHomework: [OverdueHomework]
        /// The counselor's couples with an open high-risk flag (`haven_couple_high_risk`): conjoint
        /// work with them needs an explicit override.
        public var highRisk: [ChartItem]
        /// Partners and clients seen today or tomorrow with no CSI in the last
        /// `TodayService.measureInterval` days.
        public var measuresDue: [MeasureDue]
    }

    /// A chart as the day names it: its kind, id and the names of its people (two partners, or one
    /// client), preferred names first.
    public struct ChartItem: Sendable, Equatable {
        public var chart: ChartReference
        public var names: [String]
    }

    /// One of the counselor's sessions.
    public struct Appointment: Sendable, Equatable {
        public var id: UUID
        public var chart: ChartItem
        public var start: Date
        public var durationMinutes: Int
        public var format: String
        /// assessment, conjoint, individual, intake or follow_up.
        public var sessionType: String
        public var status: String
        /// Whether a progress note exists for it.
        public var noted: Bool
    }

    /// A note in one of the day's queues (no text).
    public struct NoteItem: Sendable, Equatable {
        public var id: UUID
        public var sessionID: UUID
        public var sessionStart: Date
        public var chart: ChartItem
        /// The note's author (for the co-signature queue: the supervisee).
        public var authorID: UUID
        public var authorName: String
        public var version: Int
        /// When it was signed (nil for a draft).
        public var signedAt: Date?
    }

    /// Homework past its due date.
    public struct OverdueHomework: Sendable, Equatable {
        public var id: UUID
        public var promptTitle: String
        public var chart: ChartItem
        /// The partner it was given to (nil: both).
        public var partnerID: UUID?
        public var partnerName: String?
        public var dueOn: CalendarDate
    }

    /// A person due an outcome measure before their next session.
    public struct MeasureDue: Sendable, Equatable {
        public var clientID: UUID
        public var name: String
        public var chart: ChartItem
        /// The session they are next seen in.
        public var sessionID: UUID
        public var sessionStart: Date
        /// Their latest CSI (any form), if any.
        public var lastAdministeredOn: CalendarDate?
    }
}
