import ArgumentParser
import Foundation
import HavenCore
import HavenHTTP

extension CoupleCommand {
    /// `haven couple close-risk-flag COUPLE`: closes an open high-risk flag without a later note.
    struct CloseRiskFlag: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "close-risk-flag",
            abstract: "Close the couple's open high-risk flag, saying why (sealed, audited).",
            discussion: """
                The flag is the latest note's high risk level. Closing it keeps that note as it is; a later \
                note at high risk opens a new flag. The reason (20-1000 characters) comes from --reason-file \
                (a file, or '-' for stdin), else from stdin, or from $EDITOR at a terminal: never from the \
                command line.

                Example:
                  haven couple close-risk-flag 3f2a91c0 --reason-file reason.txt
                """
        )

        @OptionGroup var options: ClinicalOptions
        @Argument(help: "The couple (id or prefix).") var couple: String
        @OptionGroup var reason: ReasonOptions

        static let template = """


            # Why does the high risk no longer hold (20+ characters, sealed)? Lines starting with '#' are ignored.
            """

        func run() async throws {
            try reason.refuseOnCommandLine()
            let text = try reason.read(template: Self.template)
            try await Clinic.with(options) { clinic in
                let coupleID = try await clinic.resolve(couple, as: .couple)
                let closed = try await Clinic.naming(["reason": "--reason-file", "couple": "couple"]) {
                    try await clinic.api.send(
                        "POST",
                        "/v1/couples/\(full(coupleID))/risk-flag/close",
                        body: HavenAPI.ReasonBody(reason: text),
                        as: HavenAPI.RiskFlagClosed.self
                    )
                }
                print("Closed the high-risk flag of note \(short(closed.noteId)) (closure \(closed.id))")
            }
        }
    }
}
