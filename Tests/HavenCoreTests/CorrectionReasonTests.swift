import HavenCore
import Testing

@Suite("The reason for a correction (voiding a measure, closing a high-risk flag)")
struct CorrectionReasonTests {
    @Test(arguments: ["ok", "typo", "", "   ", "  short reason  \n", String(repeating: "x", count: 1_001)])
    func aTokenBlankOrOverlongReasonIsRefusedWithoutEchoingIt(reason: String) {
        let error = #expect(throws: DomainError.self) { try CorrectionReason(reason) }
        #expect(error?.field == "reason")
        #expect(error?.message == "must say why, in 20 to 1000 characters")
    }

    @Test func lengthIsCountedInCharactersAfterTrimming() throws {
        let padded = "  \n" + String(repeating: "é", count: 20) + "\t "
        #expect(try CorrectionReason(padded).text == padded)
        #expect(throws: DomainError.self) { try CorrectionReason(" " + String(repeating: "x", count: 19) + " ") }
    }
}
