import Foundation

/// The Jacobson–Truax reliable change index for a measure whose standard deviation and
/// reliability are known (stored with the measure's definition, with their source).
///
/// SE = SD·√(1−r), S_diff = √2·SE, RCI = (x₂ − x₁) / S_diff; |RCI| > 1.96 is reliable change.
public struct ReliableChange: Sendable, Equatable, Codable {
    /// The outcome of comparing two administrations.
    public enum Label: String, Sendable, Codable {
        case reliableImprovement = "reliable improvement"
        case noReliableChange = "no reliable change"
        case reliableDeterioration = "reliable deterioration"
    }

    /// The measure's standard deviation (in a reference population).
    public let standardDeviation: Double
    /// Its reliability (e.g. Cronbach's alpha or test–retest r), 0 ≤ r < 1.
    public let reliability: Double
    /// Whether higher scores are better (true for the CSI).
    public let higherIsBetter: Bool

    /// - Throws: `DomainError` on `standardDeviation` (must be > 0) or `reliability` (0 ≤ r < 1).
    public init(standardDeviation: Double, reliability: Double, higherIsBetter: Bool) throws {
        guard standardDeviation > 0, standardDeviation.isFinite else {
            throw DomainError(field: "standardDeviation", "must be a positive number")
        }
        guard reliability >= 0, reliability < 1 else {
            throw DomainError(field: "reliability", "must be at least 0 and below 1")
        }
        self.standardDeviation = standardDeviation
        self.reliability = reliability
        self.higherIsBetter = higherIsBetter
    }

    /// S_diff, the standard error of the difference between two scores.
    public var standardErrorOfDifference: Double {
        2.0.squareRoot() * standardDeviation * (1 - reliability).squareRoot()
    }

    /// The index for a change from `baseline` to `latest`.
    public func index(from baseline: Double, to latest: Double) -> Double {
        (latest - baseline) / standardErrorOfDifference
    }

    /// The label for a change from `baseline` to `latest`.
    public func label(from baseline: Double, to latest: Double) -> Label {
        let rci = index(from: baseline, to: latest)
        guard abs(rci) > 1.96 else { return .noReliableChange }
        return (rci > 0) == higherIsBetter ? .reliableImprovement : .reliableDeterioration
    }
}

/// A counselor's A.R.E. rating of one partner at a session: accessible, responsive, engaged, each 0–10.
public struct ARERating: Sendable, Equatable, Codable {
    public let accessible: Int
    public let responsive: Int
    public let engaged: Int

    /// - Throws: `DomainError` naming the quality that is outside 0–10.
    public init(accessible: Int, responsive: Int, engaged: Int) throws {
        for (name, value) in [("accessible", accessible), ("responsive", responsive), ("engaged", engaged)]
        where !(0...10).contains(value) {
            throw DomainError(field: name, "must be 0 to 10")
        }
        self.accessible = accessible
        self.responsive = responsive
        self.engaged = engaged
    }
}
