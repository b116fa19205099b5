/// A stage of Emotionally Focused Couples Therapy.
public enum EFTStage: Int, Sendable, CaseIterable, Comparable, Codable {
    case deescalation = 1
    case restructuring = 2
    case consolidation = 3

    /// The stage's name as counselors use it.
    public var title: String {
        switch self {
        case .deescalation: "Cycle de-escalation"
        case .restructuring: "Restructuring interactional positions"
        case .consolidation: "Consolidation"
        }
    }

    /// The steps that belong to this stage.
    public var steps: ClosedRange<Int> {
        switch self {
        case .deescalation: 1...4
        case .restructuring: 5...7
        case .consolidation: 8...9
        }
    }

    public static func < (lhs: EFTStage, rhs: EFTStage) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// One of the nine EFT steps; each belongs to exactly one stage (1–4 → 1, 5–7 → 2, 8–9 → 3).
public struct EFTStep: Hashable, Sendable, Comparable, Codable, CustomStringConvertible {
    /// 1 through 9.
    public let number: Int

    /// The step with this number.
    ///
    /// - Throws: `DomainError` on `step` unless 1...9.
    public init(_ number: Int) throws {
        guard (1...9).contains(number) else {
            throw DomainError(field: "step", "must be 1 to 9")
        }
        self.number = number
    }

    /// A step checked against the stage a note records.
    ///
    /// - Throws: `DomainError` on `stage` (unknown) or `step` (outside the stage, naming the stage's steps).
    public init(stage: Int, step: Int) throws {
        guard let stageValue = EFTStage(rawValue: stage) else {
            throw DomainError(field: "stage", "must be 1, 2 or 3 (got \(stage))")
        }
        let candidate = try EFTStep(step)
        guard candidate.stage == stageValue else {
            throw DomainError(
                field: "step",
                "step \(step) belongs to stage \(candidate.stage.rawValue); stage \(stage) has steps \(stageValue.steps.lowerBound)–\(stageValue.steps.upperBound)"
            )
        }
        self = candidate
    }

    /// The stage this step belongs to.
    public var stage: EFTStage {
        switch number {
        case 1...4: .deescalation
        case 5...7: .restructuring
        default: .consolidation
        }
    }

    /// Steps 5–7 are worked through with each partner in turn; a note records which.
    public var recordsPartner: Bool { (5...7).contains(number) }

    /// A short description, in our own words.
    public var summary: String {
        switch number {
        case 1: "Build the alliance; assess the conflict and each partner's attachment struggles"
        case 2: "Identify the negative cycle those struggles play out in"
        case 3: "Reach the unacknowledged emotions under each partner's position"
        case 4: "Reframe the problem as the cycle, the emotions and the attachment needs beneath it"
        case 5: "Help each partner own disowned attachment emotions, needs and parts of self"
        case 6: "Help each partner accept the other's new experience and responses"
        case 7: "Help partners voice needs and wants and engage emotionally (bonding events)"
        case 8: "Find new solutions to old relationship problems"
        default: "Consolidate the new positions and cycles of attachment behaviour"
        }
    }

    public var description: String { "stage \(stage.rawValue), step \(number)" }

    public static func < (lhs: EFTStep, rhs: EFTStep) -> Bool { lhs.number < rhs.number }
}
