import ArgumentParser
import Foundation
import HavenReports
import HavenService

/// `haven report`: progress reports for a couple or a client.
struct ReportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Progress reports: Markdown, printable HTML with charts, or JSON; and the counselor's summary.",
        subcommands: [Couple.self, Client.self, SummaryCommand.self]
    )

    /// What every report command takes.
    struct ReportOptions: ParsableArguments {
        @Option(help: "First day (YYYY-MM-DD; default: the chart's start).") var from: String?
        @Option(help: "Last day (YYYY-MM-DD; default: today).") var to: String?
        @Option(help: "clinical (default) or client (plain language; no notes, risk detail or private responses).")
        var audience = "clinical"
        @Option(help: "md, html or json (default: md to the terminal; from --out's extension otherwise).")
        var format: String?
        @Option(help: "Write to this file (mode 0600) instead of the terminal.") var out: String?

        func run(
            _ chart: @escaping (LegacyClinic) async throws -> ChartReference,
            options: LegacyClinicalOptions
        ) async throws {
            guard let audience = ReportAudience(rawValue: audience) else {
                throw UserError(message: "--audience: '\(self.audience)' is not one of: clinical, client")
            }
            let format = try resolvedFormat()
            let from = try self.from.map { try parseDate($0, option: "--from") }
            let to = try self.to.map { try parseDate($0, option: "--to") }
            try await LegacyClinic.with(options) { clinic in
                let style = DateStyle(timeZoneName: try await clinic.practice().timeZone)
                let today = style.today()
                let facts = try await ReportService(pool: clinic.pool, keys: clinic.keys).facts(
                    for: try await chart(clinic),
                    from: from,
                    to: to,
                    today: today,
                    audience: audience,
                    format: format,
                    actor: clinic.actor
                )
                let report = ProgressReport.build(from: facts, generatedOn: today)
                let text: String =
                    switch format {
                    case .md: MarkdownRenderer.render(report)
                    case .html: HTMLRenderer.render(report)
                    case .json: try report.json()
                    }
                if let out {
                    try PrivateFile.write(Data(text.utf8), to: URL(fileURLWithPath: out))
                    print("Wrote \(out) (\(format.rawValue), \(audience.rawValue) audience).")
                } else {
                    print(text, terminator: text.hasSuffix("\n") ? "" : "\n")
                }
            }
        }

        private func resolvedFormat() throws -> ReportService.Format {
            if let format {
                guard let value = ReportService.Format(rawValue: format) else {
                    throw UserError(message: "--format: '\(format)' is not one of: md, html, json")
                }
                return value
            }
            if let out, out.hasSuffix(".html") || out.hasSuffix(".htm") { return .html }
            if let out, out.hasSuffix(".json") { return .json }
            return .md
        }
    }

    struct Couple: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "A couple's progress report.",
            discussion: """
                Example:
                  haven report couple 3f2a91c0
                  haven report couple 3f2a91c0 --audience client --out progress.html
                  haven report couple 3f2a91c0 --from 2026-09-01 --to 2026-11-30 --format json
                """
        )

        @OptionGroup var options: LegacyClinicalOptions
        @OptionGroup var report: ReportOptions
        @Argument(help: "Couple id or prefix.") var id: String

        func run() async throws {
            let id = self.id
            try await report.run({ .couple(try await $0.resolve(id, as: .couple)) }, options: options)
        }
    }

    struct Client: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "A client's progress report (their individual chart).",
            discussion: "Example:\n  haven report client 7b1c22d4 --out client.html"
        )

        @OptionGroup var options: LegacyClinicalOptions
        @OptionGroup var report: ReportOptions
        @Argument(help: "Client id or prefix.") var id: String

        func run() async throws {
            let id = self.id
            try await report.run({ .client(try await $0.resolve(id, as: .client)) }, options: options)
        }
    }

    struct SummaryCommand: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "summary",
            abstract: "The counselor's summary for a period (clinical reports only).",
            subcommands: [Set.self]
        )

        struct Set: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Write the summary and recommendations for a period (sealed; from --file, stdin or $EDITOR).",
                discussion: """
                    Example:
                      haven report summary set --couple 3f2a91c0 --from 2026-09-01 --to 2026-11-30 --next-review 2027-01-15 --file summary.txt
                    """
            )

            @OptionGroup var options: LegacyClinicalOptions
            @OptionGroup var chart: SessionCommand.ChartOptions
            @Option(help: "First day of the period (YYYY-MM-DD).") var from: String
            @Option(help: "Last day of the period (YYYY-MM-DD).") var to: String
            @Option(help: "When to review progress next (YYYY-MM-DD).") var nextReview: String?
            @OptionGroup var input: TextInputOptions

            func run() async throws {
                let from = try parseDate(from, option: "--from")
                let to = try parseDate(to, option: "--to")
                let nextReview = try nextReview.map { try parseDate($0, option: "--next-review") }
                let text = try input.read(template: NoteCommand.template, what: "summary")
                try await KeptText.guarding(text, kind: "summary") {
                    try await LegacyClinic.with(options) { clinic in
                        let id = try await ReportService(pool: clinic.pool, keys: clinic.keys).setSummary(
                            text,
                            for: try await chart.resolve(clinic)!,
                            from: from,
                            to: to,
                            nextReview: nextReview,
                            actor: clinic.actor
                        )
                        print(full(id))
                    }
                }
            }
        }
    }
}
