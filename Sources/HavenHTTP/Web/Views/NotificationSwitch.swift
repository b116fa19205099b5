import HavenMail
import HavenService

/// One box of an "Email me about" page (the partner's `/portal/settings`, a staff member's
/// `/account/email`): ticked when the person has not turned the kind off and the practice has not
/// either; disabled, and said so, when the practice turned it off.
struct NotificationSwitch {
    var name: String
    var label: String
    var send: Bool
    var practiceOff: Bool

    init(_ setting: NotificationSetting) {
        name = setting.kind.rawValue
        label = setting.label
        send = !setting.partnerOff && !setting.practiceOff
        practiceOff = setting.practiceOff
    }

    /// The kinds whose box in the posted `form` differs from the person's own setting, with the new
    /// value; a kind the practice turned off is left alone (its box is disabled).
    static func changes(_ settings: [NotificationSetting], in form: WebForm) -> [(kind: NotificationKind, send: Bool)] {
        settings.filter { !$0.practiceOff }.compactMap { setting in
            let send = form["send-\(setting.kind.rawValue)"] == "yes"
            return send == setting.partnerOff ? (setting.kind, send) : nil
        }
    }
}
