import ArgumentParser
import HavenCore

extension ClientCommand {
    /// `haven client status CLIENT [--set STATUS]`: shows, or pauses, discharges or reactivates, a
    /// client's individual chart.
    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "status",
            abstract: "Show a client chart's care status, or set it (active, paused, discharged).",
            discussion: """
                The individual chart only: a couple the client belongs to keeps its own status ('haven \
                couple status'). Pausing or discharging signs the client out of the portal at once and stops \
                the chart's reminders; a discharge also turns their portal access to the chart off. Booked \
                sessions stay booked. Audited as client.status.set.

                Example:
                  haven client status 7b1c22d4 --set paused
                """
        )

        @OptionGroup var options: ClinicalOptions
        @OptionGroup var output: OutputOptions
        @Argument(help: "The client (id or prefix).") var client: String
        @Option(help: "The new status: \(allowedValues(CareStatus.self)); without it, the status is shown.") var set:
            String?

        func run() async throws {
            try await CareStatusSetting.run(client, kind: .client, set: set, options: options, output: output)
        }
    }
}
