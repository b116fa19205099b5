import HavenCore
import Testing

@Suite("Outcome measures: CSI scoring, reliable change, A.R.E.")
struct MeasureTests {
    @Test func csiFormsHaveTheirPublishedRangesAndCutoffs() {
        #expect(CouplesSatisfactionIndex.csi4.maximum == 21)
        #expect(CouplesSatisfactionIndex.csi16.maximum == 81)
        #expect(CouplesSatisfactionIndex.csi32.maximum == 161)
        #expect(CouplesSatisfactionIndex.csi4.distressCutoff == 13.5)
        #expect(CouplesSatisfactionIndex.csi16.distressCutoff == 51.5)
        #expect(CouplesSatisfactionIndex.csi32.distressCutoff == 104.5)
    }

    @Test func csi4ScoresAndInterprets() throws {
        let low = try CouplesSatisfactionIndex.csi4.score([3, 3, 3, 4])
        #expect(low.total == 13 && low.indicatesDistress)
        let edge = try CouplesSatisfactionIndex.csi4.score([4, 3, 3, 4])
        #expect(edge.total == 14 && !edge.indicatesDistress)
        #expect(try CouplesSatisfactionIndex.csi4.score([6, 5, 5, 5]).total == 21)
        #expect(try CouplesSatisfactionIndex.csi32.score([6] + Array(repeating: 5, count: 31)).total == 161)
    }

    @Test(arguments: [[7, 0, 0, 0], [0, 6, 0, 0], [0, 0, -1, 0], [0, 0, 0]])
    func outOfRangeItemsNameTheItem(items: [Int]) {
        let error = #expect(throws: DomainError.self) { try CouplesSatisfactionIndex.csi4.score(items) }
        #expect(error?.field.hasPrefix("items") == true)
    }

    @Test func jacobsonTruaxFollowsTheFormula() throws {
        // SD 10, r 0.9: SE = 10·√0.1 ≈ 3.162, S_diff ≈ 4.472; a change of 9 gives RCI ≈ 2.01.
        let change = try ReliableChange(standardDeviation: 10, reliability: 0.9, higherIsBetter: true)
        #expect(abs(change.standardErrorOfDifference - 4.4721) < 0.001)
        #expect(abs(change.index(from: 50, to: 59) - 2.0125) < 0.001)
        #expect(change.label(from: 50, to: 59) == .reliableImprovement)
        #expect(change.label(from: 50, to: 58) == .noReliableChange)
        #expect(change.label(from: 59, to: 50) == .reliableDeterioration)
        let lowerBetter = try ReliableChange(standardDeviation: 10, reliability: 0.9, higherIsBetter: false)
        #expect(lowerBetter.label(from: 59, to: 50) == .reliableImprovement)
        #expect(throws: DomainError.self) {
            try ReliableChange(standardDeviation: 0, reliability: 0.9, higherIsBetter: true)
        }
        #expect(throws: DomainError.self) {
            try ReliableChange(standardDeviation: 5, reliability: 1, higherIsBetter: true)
        }
    }

    @Test func areRatingsAreZeroToTen() throws {
        _ = try ARERating(accessible: 0, responsive: 10, engaged: 5)
        let error = #expect(throws: DomainError.self) { try ARERating(accessible: 3, responsive: 11, engaged: 5) }
        #expect(error?.field == "responsive")
    }
}
