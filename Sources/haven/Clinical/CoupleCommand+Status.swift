import ArgumentParser
import HavenCore

extension CoupleCommand {
    /// `haven couple status COUPLE [--set STATUS]`: shows, or pauses, discharges or reactivates, a couple.
    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "status",
            abstract: "Show a couple's care status, or set it (active, paused, discharged).",
            discussion: """
                Pausing or discharging signs both partners out of the portal at once and stops their \
                reminders; a discharge also turns their portal access off and cancels open invitations. \
                Booked sessions stay booked. Making a couple active again is refused while a partner is in \
                another active couple. Audited as couple.status.set.

                Example:
                  haven couple status 3f2a91c0
                  haven couple status 3f2a91c0 --set discharged
                """
        )

        @OptionGroup var options: ClinicalOptions
        @OptionGroup var output: OutputOptions
        @Argument(help: "The couple (id or prefix).") var couple: String
        @Option(help: "The new status: \(allowedValues(CareStatus.self)); without it, the status is shown.") var set:
            String?

        func run() async throws {
            try await CareStatusSetting.run(couple, kind: .couple, set: set, options: options, output: output)
        }
    }
}
