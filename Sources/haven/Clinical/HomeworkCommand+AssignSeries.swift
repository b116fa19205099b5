import ArgumentParser
import Foundation
import HavenHTTP
import HavenService

extension HomeworkCommand {
    /// `haven homework assign-series`: the emotional-safety practice given to a couple, a step at a time.
    struct AssignSeries: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "assign-series",
            abstract:
                "Assign the emotional-safety practice to a couple (or one partner): its steps open one at a time.",
            discussion: """
                Each step opens on the partners' portal --interval-days after the one before (the first at once) \
                and is due --interval-days after it opens. Its joint steps, for a couple with an open high-risk \
                flag, need --risk-override-reason-file (a file, or '-' for stdin). Prints the series \
                assignment's id, then each step's assignment id.

                Example:
                  haven homework assign-series --couple 3f2a91c0 --session 5d0e33aa --interval-days 7
                """
        )

        @OptionGroup var options: ClinicalOptions
        @Option(help: "Couple id or prefix.") var couple: String
        @Option(help: "Only this partner (client id or prefix); default both.") var partner: String?
        @Option(help: "The session it was assigned in (id or prefix).") var session: String
        @Option(help: "Days between steps, 1 to 60.") var intervalDays = HomeworkService.defaultSeriesInterval
        @OptionGroup var riskOverride: RiskOverrideOptions

        func validate() throws {
            guard (1...60).contains(intervalDays) else {
                throw ValidationError("--interval-days: '\(intervalDays)' is not 1 to 60 days")
            }
        }

        func run() async throws {
            let riskOverrideReason = try riskOverride.read()
            try await Clinic.with(options) { clinic in
                let body = HavenAPI.AssignSeriesBody(
                    coupleId: try await clinic.resolve(couple, as: .couple),
                    partnerId: try await clinic.resolveIfGiven(partner, as: .client),
                    sessionId: try await clinic.resolve(session, as: .session),
                    intervalDays: intervalDays,
                    riskOverrideReason: riskOverrideReason
                )
                try await riskOverride.namingTheFlag {
                    let assigned = try await Clinic.naming([
                        "partnerID": "--partner", "partnerId": "--partner", "session": "--session",
                        "sessionId": "--session", "intervalDays": "--interval-days",
                    ]) {
                        try await clinic.api.send(
                            "POST",
                            "/v1/homework/series-assignments",
                            body: body,
                            as: HavenAPI.AssignedSeries.self
                        )
                    }
                    print(assigned.id)
                    for step in assigned.steps { print(step) }
                }
            }
        }
    }
}
