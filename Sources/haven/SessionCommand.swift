import ArgumentParser
import Foundation
import HavenCore
import HavenService
import Postgres

/// `haven session`: scheduling and recording therapy sessions.
struct SessionCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "session",
        abstract: "Schedule sessions, record how they went, list them.",
        subcommands: [
            Schedule.self, SetStatus<Complete>.self, SetStatus<Cancel>.self, SetStatus<LateCancel>.self,
            SetStatus<NoShow>.self, List.self,
        ]
    )

    /// Which chart a command is about: exactly one of `--couple` and `--client`.
    struct ChartOptions: ParsableArguments {
        @Option(help: "Couple id or prefix.") var couple: String?
        @Option(help: "Client id or prefix (an individual session).") var client: String?

        func resolve(_ clinic: LegacyClinic, required: Bool = true) async throws -> ChartReference? {
            switch (couple, client) {
            case (let couple?, nil): return .couple(try await clinic.resolve(couple, as: .couple))
            case (nil, let client?): return .client(try await clinic.resolve(client, as: .client))
            case (nil, nil) where !required: return nil
            default: throw UserError(message: "give exactly one of --couple and --client")
            }
        }
    }

    struct Schedule: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Schedule a session (you are its counselor).",
            discussion: """
                A conjoint session for a couple with an open high-risk flag needs \
                --risk-override-reason-file (a file, or '-' for stdin).

                Example:
                  haven session schedule --couple 3f2a91c0 --at 2026-11-24T15:00 --minutes 50 --format video
                """
        )

        @OptionGroup var options: LegacyClinicalOptions
        @OptionGroup var chart: ChartOptions
        @Option(help: "Start, ISO 8601 (practice time unless an offset or Z is given).") var at: String
        @Option(help: "Length in minutes (5-480).") var minutes = 50
        @Option(help: "in_person, video or phone.") var format = "in_person"
        @OptionGroup var riskOverride: RiskOverrideOptions

        func run() async throws {
            let riskOverrideReason = try riskOverride.read()
            try await riskOverride.namingTheFlag {
                try await schedule(riskOverrideReason: riskOverrideReason)
            }
        }

        private func schedule(riskOverrideReason: String?) async throws {
            try await LegacyClinic.with(options) { clinic in
                let style = DateStyle(timeZoneName: try await clinic.practice().timeZone)
                let id = try await SessionService(pool: clinic.pool, keys: clinic.keys).schedule(
                    try await chart.resolve(clinic)!,
                    start: try style.parseDateTime(at, option: "--at"),
                    durationMinutes: minutes,
                    format: try SessionFormat.parse(format),
                    riskOverrideReason: riskOverrideReason,
                    actor: clinic.actor
                )
                print(full(id))
            }
        }
    }

    protocol Outcome {
        static var name: String { get }
        static var status: SessionStatus { get }
        static var help: String { get }
    }
    enum Complete: Outcome {
        static let name = "complete"
        static let status = SessionStatus.completed
        static let help = "Mark a session completed (notes can then be written)."
    }
    enum Cancel: Outcome {
        static let name = "cancel"
        static let status = SessionStatus.cancelled
        static let help = "Mark a session cancelled in good time."
    }
    enum LateCancel: Outcome {
        static let name = "late-cancel"
        static let status = SessionStatus.lateCancelled
        static let help = "Mark a session cancelled late."
    }
    enum NoShow: Outcome {
        static let name = "no-show"
        static let status = SessionStatus.noShow
        static let help = "Mark a session as a no-show."
    }

    struct SetStatus<Kind: Outcome>: AsyncParsableCommand {
        static var configuration: CommandConfiguration {
            CommandConfiguration(
                commandName: Kind.name,
                abstract: Kind.help,
                discussion: "Example:\n  haven session \(Kind.name) 3f2a91c0"
            )
        }

        @OptionGroup var options: LegacyClinicalOptions
        @Argument(help: "Session id or prefix.") var id: String

        func run() async throws {
            try await LegacyClinic.with(options) { clinic in
                let session = try await clinic.resolve(id, as: .session)
                try await SessionService(pool: clinic.pool, keys: clinic.keys)
                    .setStatus(Kind.status, session: session, actor: clinic.actor)
                print("Session \(short(session)) is \(Kind.status.rawValue.replacingOccurrences(of: "_", with: " ")).")
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List sessions: one day's, or one chart's.",
            discussion: """
                With neither --day nor a chart, lists today's sessions.

                Example:
                  haven session list --day 2026-11-24
                  haven session list --couple 3f2a91c0 --json
                """
        )

        @OptionGroup var options: LegacyClinicalOptions
        @OptionGroup var output: OutputOptions
        @OptionGroup var chart: ChartOptions
        @Option(help: "A day (YYYY-MM-DD) in the practice's time zone.") var day: String?

        func run() async throws {
            try await LegacyClinic.with(options) { clinic in
                let style = DateStyle(timeZoneName: try await clinic.practice().timeZone)
                let chart = try await self.chart.resolve(clinic, required: false)
                var from: Date?
                var to: Date?
                if day != nil || chart == nil {
                    let date = try day.map { try parseDate($0, option: "--day") } ?? style.today()
                    from = style.start(of: date)
                    to = style.start(of: date.adding(days: 1))
                }
                let sessions = try await SessionService(pool: clinic.pool, keys: clinic.keys)
                    .list(chart: chart, from: from, to: to, actor: clinic.actor)
                try output.emit(sessions) {
                    guard !sessions.isEmpty else { return "No sessions." }
                    return TextTable(
                        header: ["ID", "START", "MIN", "CHART", "FORMAT", "STATUS", "NOTE"],
                        rows: sessions.map {
                            [
                                short($0.id), style.dateTime($0.start), "\($0.durationMinutes)",
                                "\($0.chart.kind) \(short($0.chart.id))", $0.format, $0.status, $0.noted ? "yes" : "",
                            ]
                        }
                    ).render()
                }
            }
        }
    }
}
