import HavenCore
import Testing

@Suite("The high-risk override reason")
struct RiskOverrideReasonTests {
    @Test(arguments: ["ok", "yes", "", "   ", "  short reason  \n", String(repeating: "x", count: 1_001)])
    func aTokenBlankOrOverlongReasonIsRefusedWithoutEchoingIt(reason: String) {
        let error = #expect(throws: DomainError.self) { try RiskOverrideReason(reason) }
        #expect(error?.field == "riskOverrideReason")
        #expect(error?.message == "must say why, in 20 to 1000 characters")
    }

    @Test func lengthIsCountedInCharactersAfterTrimming() throws {
        let padded = "  \n" + String(repeating: "é", count: 20) + "\t "
        #expect(try RiskOverrideReason(padded).text == padded)
        #expect(try RiskOverrideReason(String(repeating: "x", count: 1_000)).text.count == 1_000)
        #expect(throws: DomainError.self) { try RiskOverrideReason(" " + String(repeating: "x", count: 19) + " ") }
    }
}
