import Foundation
import HavenCore
import HavenService
import Hummingbird

extension HavenAPI {
    /// `GET /v1/me/today`'s answer (and `haven today --json`): the counselor's day. Names and times,
    /// no clinical text.
    public struct DayView: Codable, Sendable {
        public var date: String
        public var timeZone: String
        public var appointments: [AppointmentView]
        public var unfinished: [AppointmentView]
        public var drafts: [DayNoteView]
        public var toCosign: [DayNoteView]
        public var awaitingCosignature: [DayNoteView]
        public var overdueHomework: [OverdueHomeworkView]
        public var highRisk: [ChartNameView]
        public var measuresDue: [MeasureDueView]
    }

    /// A chart named by its people: `kind` is `couple` or `client`.
    public struct ChartNameView: Codable, Sendable {
        public var kind: String
        public var id: String
        public var names: [String]
    }

    /// One of the day's sessions.
    public struct AppointmentView: Codable, Sendable {
        public var id: String
        public var chart: ChartNameView
        public var start: Date
        public var durationMinutes: Int
        public var format: String
        public var sessionType: String
        public var status: String
        public var noted: Bool
    }

    /// A note in one of the day's queues.
    public struct DayNoteView: Codable, Sendable {
        public var id: String
        public var sessionId: String
        public var sessionStart: Date
        public var chart: ChartNameView
        public var authorId: String
        public var authorName: String
        public var version: Int
        public var signedAt: Date?
    }

    /// Homework past its due date.
    public struct OverdueHomeworkView: Codable, Sendable {
        public var id: String
        public var promptTitle: String
        public var chart: ChartNameView
        public var partnerId: String?
        public var partnerName: String?
        public var dueOn: String
    }

    /// A partner or client due a CSI before their session.
    public struct MeasureDueView: Codable, Sendable {
        public var clientId: String
        public var name: String
        public var chart: ChartNameView
        public var sessionId: String
        public var sessionStart: Date
        public var lastAdministeredOn: String?
    }

    func addToday(to v1: RouterGroup<HavenRequestContext>) {
        let today = TodayService(pool: pool)
        v1.get("/me/today") { _, context in
            try APIJSON.response(DayView(try await today.day(actor: try context.requireActor())))
        }
    }
}

extension HavenAPI.DayView {
    init(_ day: TodayService.Day) {
        self.init(
            date: day.date.description,
            timeZone: day.timeZone,
            appointments: day.appointments.map(HavenAPI.AppointmentView.init),
            unfinished: day.unfinished.map(HavenAPI.AppointmentView.init),
            drafts: day.drafts.map(HavenAPI.DayNoteView.init),
            toCosign: day.toCosign.map(HavenAPI.DayNoteView.init),
            awaitingCosignature: day.awaitingCosignature.map(HavenAPI.DayNoteView.init),
            overdueHomework: day.overdueHomework.map(HavenAPI.OverdueHomeworkView.init),
            highRisk: day.highRisk.map(HavenAPI.ChartNameView.init),
            measuresDue: day.measuresDue.map(HavenAPI.MeasureDueView.init)
        )
    }
}

extension HavenAPI.ChartNameView {
    init(_ item: TodayService.ChartItem) {
        self.init(kind: item.chart.kind, id: item.chart.id.uuidString.lowercased(), names: item.names)
    }
}

extension HavenAPI.AppointmentView {
    init(_ item: TodayService.Appointment) {
        self.init(
            id: item.id.uuidString.lowercased(),
            chart: .init(item.chart),
            start: item.start,
            durationMinutes: item.durationMinutes,
            format: item.format,
            sessionType: item.sessionType,
            status: item.status,
            noted: item.noted
        )
    }
}

extension HavenAPI.DayNoteView {
    init(_ item: TodayService.NoteItem) {
        self.init(
            id: item.id.uuidString.lowercased(),
            sessionId: item.sessionID.uuidString.lowercased(),
            sessionStart: item.sessionStart,
            chart: .init(item.chart),
            authorId: item.authorID.uuidString.lowercased(),
            authorName: item.authorName,
            version: item.version,
            signedAt: item.signedAt
        )
    }
}

extension HavenAPI.OverdueHomeworkView {
    init(_ item: TodayService.OverdueHomework) {
        self.init(
            id: item.id.uuidString.lowercased(),
            promptTitle: item.promptTitle,
            chart: .init(item.chart),
            partnerId: item.partnerID?.uuidString.lowercased(),
            partnerName: item.partnerName,
            dueOn: item.dueOn.description
        )
    }
}

extension HavenAPI.MeasureDueView {
    init(_ item: TodayService.MeasureDue) {
        self.init(
            clientId: item.clientID.uuidString.lowercased(),
            name: item.name,
            chart: .init(item.chart),
            sessionId: item.sessionID.uuidString.lowercased(),
            sessionStart: item.sessionStart,
            lastAdministeredOn: item.lastAdministeredOn?.description
        )
    }
}
