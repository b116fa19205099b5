import HavenCore
import Testing

@Suite("EFT stages and steps")
struct EFTStepTests {
    @Test func everyStepBelongsToExactlyOneStage() throws {
        for step in 1...9 {
            let value = try EFTStep(step)
            #expect(EFTStage.allCases.filter { $0.steps.contains(step) } == [value.stage])
            #expect(try EFTStep(stage: value.stage.rawValue, step: step) == value)
        }
        #expect(try EFTStep(6).recordsPartner)
        #expect(try !EFTStep(4).recordsPartner)
    }

    @Test(arguments: [(1, 6), (2, 4), (3, 1), (2, 8)])
    func aStepOutsideItsStageNamesTheField(stage: Int, step: Int) {
        let error = #expect(throws: DomainError.self) { try EFTStep(stage: stage, step: step) }
        #expect(error?.field == "step")
        #expect(error?.message.contains("belongs to stage") == true)
    }

    @Test(arguments: [0, 10, -1])
    func unknownStepsAndStagesAreRefused(number: Int) {
        #expect(throws: DomainError.self) { try EFTStep(number) }
        let stage = #expect(throws: DomainError.self) { try EFTStep(stage: number, step: 1) }
        #expect(stage?.field == "stage")
    }

    @Test func unknownEnumValuesListWhatIsAllowed() {
        let error = #expect(throws: DomainError.self) { try RiskLevel.parse("extreme") }
        #expect(error?.field == "riskLevel")
        #expect(error?.message.contains("none, low, moderate, high") == true)
        #expect((try? SessionStatus.parse("late_cancelled")) == .lateCancelled)
        #expect(RiskLevel.high > RiskLevel.moderate)
    }
}
