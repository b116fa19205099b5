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
}
