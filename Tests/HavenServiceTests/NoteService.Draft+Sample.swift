import HavenCore
import HavenService

extension NoteService.Draft {
    /// A low-risk progress-note draft (stage 1, step 2) that the service tests write, edit and sign.
    static let sample = NoteService.Draft(
        stage: 1,
        step: 2,
        interventions: [.trackingTheCycle, .reflectingEmotion],
        riskLevel: .low,
        riskDetail: "Raised voices at home last week; no physical threat reported.",
        body: "Mapped the pursue–withdraw cycle around weekend plans. Partner A named fear of being unimportant."
    )

    /// The sample recording a high risk (fictional detail): a couple with such a draft has an open
    /// high-risk flag, which switches off joint homework, partner sharing and unreviewed bookings.
    static let highRisk: NoteService.Draft = {
        var draft = sample
        draft.riskLevel = .high
        draft.riskDetail = "Fictional: disclosed a recent shove during an argument."
        return draft
    }()
}
