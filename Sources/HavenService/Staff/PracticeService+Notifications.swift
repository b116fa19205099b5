import Foundation
import HavenMail
import HavenStore
import Postgres

extension PracticeService {
    /// The practice's reminder switches, for an admin (`haven_admin_notification_settings()`).
    ///
    /// - Throws: `forbidden` unless the actor is an admin.
    public func notificationSettings(actor: StaffActor) async throws -> [NotificationSetting] {
        guard actor.roles.contains(.admin) else {
            throw ServiceError(.forbidden, "only admins change the practice's reminders")
        }
        return try await pool.transaction(as: actor) { connection in
            try await connection.query("SELECT kind, practice_off FROM haven_admin_notification_settings()")
                .compactMap { row in
                    let (kind, off) = try row.decode((String, Bool).self)
                    return NotificationKind(rawValue: kind).map {
                        NotificationSetting(kind: $0, partnerOff: false, practiceOff: off)
                    }
                }
        }
    }

    /// The actor's own email switches: the kinds that go to staff (the counselor's digest), each with
    /// whether they turned it off (`partnerOff`, the person's own) and whether the practice did
    /// (`haven_staff_notification_settings()`, migration 0052).
    public func ownNotificationSettings(actor: StaffActor) async throws -> [NotificationSetting] {
        try await pool.transaction(as: actor) { connection in
            try await connection.query("SELECT kind, staff_off, practice_off FROM haven_staff_notification_settings()")
                .compactMap { row in
                    let (kind, own, practice) = try row.decode((String, Bool, Bool).self)
                    return NotificationKind(rawValue: kind).map {
                        NotificationSetting(kind: $0, partnerOff: own, practiceOff: practice)
                    }
                }
        }
    }

    /// The hours before an appointment its reminder may be sent (the `practices_appointment_reminder_hours`
    /// CHECK, migration 0047).
    public static let appointmentReminderHours = 1...168
    /// What a refused number of hours is told (the field `appointmentReminderHours`).
    public static let appointmentReminderHoursRule = "must be a whole number of hours from 1 to 168"

    /// How many hours before an appointment the practice's reminder goes out (migration 0047's column,
    /// set by an admin through `StaffAdminService.setAppointmentReminderHours`).
    public func appointmentReminderHours(actor: StaffActor) async throws -> Int {
        try await pool.transaction(as: actor) { connection in
            guard
                let row = try await connection.query(
                    "SELECT appointment_reminder_hours FROM practices WHERE id = \(actor.practiceID)"
                ).singleRow()
            else { throw ServiceError(.notFound, field: "practice", "no such practice") }
            return Int(try row.decode(0, as: Int32.self))
        }
    }

    /// Turns one kind that goes to staff on or off for the actor themselves (their own only; audited
    /// `staff.notification.on|off`).
    ///
    /// - Throws: `invalidInput` (field `kind`) for a kind that does not go to staff.
    public func setOwnNotification(_ kind: NotificationKind, send: Bool, actor: StaffActor) async throws {
        let outcome = try await pool.transaction(as: actor) { connection in
            try await connection.query("SELECT haven_staff_set_notification(\(kind.rawValue), \(send))")[0]
                .decode(0, as: String.self)
        }
        guard outcome == "saved" else {
            throw ServiceError(.invalidInput, field: "kind", "is not a kind of email that goes to staff")
        }
    }

    /// Turns one kind of reminder on or off for every partner of the practice, or every counselor for
    /// a staff kind (audited `practice.notification.on|off`; a non-admin's try is audited as denied).
    ///
    /// - Throws: `forbidden` unless the actor is an admin; `invalidInput` (field `kind`) for a kind the
    ///   outbox does not send.
    public func setNotification(_ kind: NotificationKind, send: Bool, actor: StaffActor) async throws {
        let outcome = try await pool.transaction(as: actor) { connection in
            try await connection.query("SELECT haven_admin_set_notification(\(kind.rawValue), \(send))")[0]
                .decode(0, as: String.self)
        }
        switch outcome {
        case "saved": return
        case "forbidden": throw ServiceError(.forbidden, "only admins change the practice's reminders")
        default: throw ServiceError(.invalidInput, field: "kind", "is not a kind of reminder")
        }
    }
}
