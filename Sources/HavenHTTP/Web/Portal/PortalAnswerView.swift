import Foundation
import HavenService

/// `GET /portal/homework/{id}`: one assignment as its partner answers it. The instructions and due date;
/// the partner's submitted answer with who can read it (final once the counselor has read it); the
/// answer box (the server draft and its version, or what was typed when a write was refused); the
/// "Also share with my partner" choice, off and explained in safety mode; and what the other partner
/// shared on it. Nothing here says whether the other partner answered without sharing.
struct PortalAnswerView: PortalView {
    /// The partner's submitted answer.
    struct Submitted {
        var text: String
        /// Who can read it, said plainly.
        var sharing: String
        var shared: Bool
        /// The counselor has read it: it and its sharing are final.
        var final: Bool
    }

    /// An answer the other partner shared.
    struct SharedText {
        var text: String
    }

    /// One question of a series step.
    struct Question {
        var text: String
    }

    /// What the sharing choice means, in the partner's words (the page and the script say the same).
    static let counselorOnly = "Only your counselor sees this answer."
    static let partnerToo = "Your partner can read this answer."
    static let partnerOnSubmit = "Your partner can read this answer once you submit it."

    var chrome = PageChrome.signedOut(title: "Your homework")
    var assignmentID: String
    var title: String
    var instructions: String
    var due: String
    var forBoth: Bool
    var paused: Bool
    /// "Step 2 of 6 · Emotional-safety practice" for a series step (set by the page), nil otherwise.
    var step: String?
    /// The series step's questions (none for an assignment given on its own).
    var questions: [Question]
    var hasQuestions: Bool
    var safetyMode: Bool
    var notice: String?
    var error: String?
    var submitted: Submitted?
    /// The answer box shows (the counselor has not read the answer yet).
    var editable: Bool
    var boxHeading: String
    var draftID: String
    var version: String
    var text: String
    var savedText: String
    var shareChecked: Bool
    var shareState: String
    var shareOn = Self.partnerOnSubmit
    var shareOff = Self.counselorOnly
    /// What was typed when the box is gone (the counselor read the answer meanwhile): shown to copy.
    var kept: String?
    var partnerShared: [SharedText]

    /// The page for `assignment` from the partner's answers; `typed` is a refused form's content, shown
    /// in the box instead of the stored draft (with the stored draft's id and version, so saving again
    /// replaces it knowingly).
    init(
        _ assignment: PortalService.Home.Assignment,
        _ answers: PortalService.Answers,
        typed: PortalTypedAnswer? = nil
    ) {
        let own = answers.own.first { $0.assignmentID == assignment.id }
        let draft = answers.drafts.first { $0.assignmentID == assignment.id }
        assignmentID = HavenAPI.text(assignment.id)
        title = assignment.title
        instructions = assignment.instructions
        due = assignment.dueOn.description
        forBoth = assignment.joint
        paused = assignment.paused
        questions = assignment.questions.map(Question.init)
        hasQuestions = !assignment.questions.isEmpty
        safetyMode = answers.safetyMode
        submitted = own.map {
            Submitted(
                text: $0.text ?? "",
                sharing: !$0.sharedWithPartner || answers.safetyMode ? Self.counselorOnly : Self.partnerToo,
                shared: $0.sharedWithPartner,
                final: $0.counselorRead
            )
        }
        editable = !(own?.counselorRead ?? false)
        boxHeading = own == nil ? "Your answer" : "Change your answer"
        // A first save names the draft's id (made here), so the autosave script can save again.
        draftID = HavenAPI.text(draft?.id ?? UUID())
        version = String(draft?.version ?? 0)
        text = typed?.text ?? draft?.text ?? own?.text ?? ""
        shareChecked =
            !answers.safetyMode && (typed?.share ?? draft?.sharedWithPartner ?? own?.sharedWithPartner ?? false)
        shareState = shareChecked ? Self.partnerOnSubmit : Self.counselorOnly
        savedText =
            draft.map { "Draft saved (version \($0.version))." }
            ?? (own == nil ? "Not saved yet." : "Submitted. A change is saved as a draft until you submit it.")
        kept = editable ? nil : typed?.text
        partnerShared = answers.shared.filter { $0.assignmentID == assignment.id }.compactMap(\.text).map(
            SharedText.init
        )
    }
}

/// A posted answer form: the draft it was based on, the answer's text and the sharing choice.
struct PortalTypedAnswer {
    var draft: UUID?
    var version: Int
    var text: String
    var share: Bool

    init(_ form: WebForm) {
        draft = form["draft"].flatMap(UUID.init(uuidString:))
        version = form["version"].flatMap(Int.init) ?? 0
        text = form["text"] ?? ""
        share = form["share"] == "on"
    }
}
