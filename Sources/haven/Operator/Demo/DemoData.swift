import Foundation
import HavenCore
import HavenService

/// The fictional demo practice: who works there and six couples at different points of EFT. Every
/// name and sentence is invented.
enum DemoData {
    static let practiceName = "Harbor Demo Counseling"
    static let timeZone = "America/Chicago"

    struct Staff {
        var email: String
        var name: String
        var credentials: String
        var roles: Set<StaffActor.Role>
        var preLicensed: Bool
    }

    static let staff = [
        Staff(
            email: "dana@demo.haven",
            name: "Dana Reyes",
            credentials: "LMFT",
            roles: [.counselor],
            preLicensed: false
        ),
        Staff(email: "sam@demo.haven", name: "Sam Ortiz", credentials: "AMFT", roles: [.counselor], preLicensed: true),
        Staff(
            email: "morgan@demo.haven",
            name: "Morgan Blake",
            credentials: "LMFT, EFT supervisor",
            roles: [.supervisor, .counselor],
            preLicensed: false
        ),
        Staff(email: "office@demo.haven", name: "Front Office", credentials: "", roles: [.admin], preLicensed: false),
    ]

    struct Couple {
        var partnerA: (legal: String, preferred: String)
        var partnerB: (legal: String, preferred: String)
        /// Index into `staff`.
        var counselor: Int
        var concerns: String
        /// Completed weekly sessions so far.
        var sessions: Int
        /// The step the latest session reached.
        var reachedStep: Int
        /// CSI-4 totals at intake and now, per partner (they drift linearly between).
        var csiStart: (Int, Int)
        var csiNow: (Int, Int)
    }

    static let couples = [
        Couple(
            partnerA: ("Avery Collins", "Avery"),
            partnerB: ("Jordan Collins", "Jordan"),
            counselor: 0,
            concerns: "Frequent arguments about chores escalate into days of silence; both say they feel alone.",
            sessions: 3,
            reachedStep: 2,
            csiStart: (8, 10),
            csiNow: (9, 11)
        ),
        Couple(
            partnerA: ("Riley Nguyen", "Riley"),
            partnerB: ("Casey Nguyen", "Casey"),
            counselor: 1,
            concerns:
                "Since the baby arrived they describe living like roommates; Casey pursues, Riley retreats to work.",
            sessions: 7,
            reachedStep: 4,
            csiStart: (7, 9),
            csiNow: (11, 12)
        ),
        Couple(
            partnerA: ("Taylor Brooks", "Taylor"),
            partnerB: ("Quinn Brooks", "Quinn"),
            counselor: 0,
            concerns: "A discovered secret account broke trust; they want to know whether they can come back from it.",
            sessions: 10,
            reachedStep: 5,
            csiStart: (5, 6),
            csiNow: (10, 12)
        ),
        Couple(
            partnerA: ("Morgan Patel", "Mo"),
            partnerB: ("Sage Patel", "Sage"),
            counselor: 1,
            concerns: "Sage's long work trips leave Mo anxious; reunions turn into criticism and defensiveness.",
            sessions: 13,
            reachedStep: 7,
            csiStart: (9, 8),
            csiNow: (14, 15)
        ),
        Couple(
            partnerA: ("Jamie Rivera", "Jamie"),
            partnerB: ("Alex Rivera", "Alex"),
            counselor: 2,
            concerns: "After a year of distance they want to rebuild closeness and decide about moving cities.",
            sessions: 16,
            reachedStep: 8,
            csiStart: (10, 11),
            csiNow: (16, 17)
        ),
        Couple(
            partnerA: ("Robin Shaw", "Robin"),
            partnerB: ("Drew Shaw", "Drew"),
            counselor: 2,
            concerns: "Old wounds from a difficult first year of marriage resurface whenever plans fall through.",
            sessions: 20,
            reachedStep: 9,
            csiStart: (11, 10),
            csiNow: (18, 18)
        ),
    ]

    /// A plausible note body for a session at `step`.
    static func noteBody(step: Int, a: String, b: String) -> String {
        switch step {
        case 1:
            "Assessment session. \(a) and \(b) each described the conflict in their own words; we agreed on goals and the frame of couple work."
        case 2:
            "Tracked the cycle around a recent argument: \(a) pressed for a response, \(b) went quiet and left the room. Named the pattern as the shared enemy."
        case 3:
            "Slowed the cycle down. Under \(a)'s frustration we found fear of not mattering; \(b) named feeling like a failure when criticised."
        case 4:
            "Reframed the problem as the cycle and the longings beneath it. Both could see how their moves trigger each other; arguments this week were shorter."
        case 5:
            "Deepened \(b)'s access to the hurt under withdrawal. \(b) shared it directly; \(a) listened without defending."
        case 6: "Helped \(a) take in \(b)'s new openness. \(a) said it was strange but welcome to hear this from \(b)."
        case 7:
            "Enactment: \(a) reached for \(b) with a soft request for reassurance; \(b) responded warmly. A bonding moment both noticed."
        case 8: "Used the new safety to revisit the decision about moving; they stayed curious instead of polarising."
        default:
            "Consolidation: reviewed the story of their change and how they repair when the old cycle starts. Planning to space sessions out."
        }
    }

    static func interventions(step: Int) -> [Intervention] {
        switch step {
        case 1...2: [.trackingTheCycle, .validating]
        case 3...4: [.reflectingEmotion, .evocativeResponding, .reframing]
        case 5...7: [.heightening, .empathicConjecture, .shapingEnactments]
        default: [.validating, .reflectingEmotion]
        }
    }

    static func changeEvents(step: Int, previous: Int) -> [ChangeEvent] {
        if previous < 4 && step >= 4 { return [.cycleDeescalated] }
        if previous < 6 && step >= 6 { return [.withdrawerReengagement] }
        if previous < 7 && step >= 7 { return [.blamerSoftening] }
        return []
    }
}
