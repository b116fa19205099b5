import ArgumentParser
import Foundation
import HavenHTTP
import HavenService

/// `haven report`: progress reports for a couple or a client.
struct ReportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Progress reports: Markdown, printable HTML with charts, PDF, or JSON; and the counselor's summary.",
        subcommands: [Couple.self, Client.self, SummaryCommand.self]
    )

    /// What every report command takes.
    struct ReportOptions: ParsableArguments {
        @Option(help: "First day (YYYY-MM-DD; default: the chart's start).") var from: String?
        @Option(help: "Last day (YYYY-MM-DD; default: today).") var to: String?
        @Option(help: "clinical (default) or client (plain language; no notes, risk detail or private responses).")
        var audience = "clinical"
        @Option(help: "md, html, pdf or json (default: md to the terminal; from --out's extension otherwise).")
        var format: String?
        @Option(help: "Write to this file (mode 0600) instead of the terminal; ends in .md, .html, .pdf or .json.")
        var out: String?

        func run(
            _ chart: @escaping (Clinic) async throws -> ChartReference,
            options: ClinicalOptions
        ) async throws {
            guard let audience = ReportAudience(rawValue: audience) else {
                throw UserError(message: "--audience: '\(self.audience)' is not one of: clinical, client")
            }
            let format = try resolvedFormat()
            let from = try self.from.map { try parseDate($0, option: "--from") }
            let to = try self.to.map { try parseDate($0, option: "--to") }
            try await Clinic.with(options) { clinic in
                // The server builds and renders the report (and audits it); the format follows Accept.
                let accept =
                    switch format {
                    case .md: "text/markdown"
                    case .html: "text/html"
                    case .json: "application/json"
                    case .pdf: "application/pdf"
                    }
                let data = try await clinic.api.data(
                    "GET",
                    Clinic.path(of: try await chart(clinic)) + "/report",
                    query: [
                        URLQueryItem(name: "audience", value: audience.rawValue),
                        from.map { URLQueryItem(name: "from", value: $0.description) },
                        to.map { URLQueryItem(name: "to", value: $0.description) },
                    ].compactMap { $0 },
                    accept: accept
                )
                let text = String(decoding: data, as: UTF8.self)
                if let out {
                    try PrivateFile.write(data, to: URL(fileURLWithPath: out))
                    print("Wrote \(out) (\(format.rawValue), \(audience.rawValue) audience).")
                } else {
                    print(text.terminalSafe, terminator: text.hasSuffix("\n") ? "" : "\n")
                }
            }
        }

        /// The formats a report comes in, with the extensions a file of each may have.
        static let formats = OutputFormatChoice<ReportService.Format>(
            formats: [(.md, ["md", "markdown"]), (.html, ["html", "htm"]), (.pdf, ["pdf"]), (.json, ["json"])],
            what: "report"
        )

        /// The format from `--format`, else from `--out`'s extension, else Markdown
        /// (`OutputFormatChoice`); a PDF only to a file.
        private func resolvedFormat() throws -> ReportService.Format {
            let format = try Self.formats.resolve(format: self.format, out: out, default: .md)
            if format == .pdf, out == nil {
                throw UserError(message: "--format pdf: a PDF goes to a file; add --out, e.g. --out progress.pdf")
            }
            return format
        }
    }

    struct Couple: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "couple",
            abstract: "A couple's progress report.",
            discussion: """
                Example:
                  haven report couple 3f2a91c0
                  haven report couple 3f2a91c0 --audience client --out progress.html
                  haven report couple 3f2a91c0 --audience client --out progress.pdf
                  haven report couple 3f2a91c0 --from 2026-09-01 --to 2026-11-30 --format json
                """
        )

        @OptionGroup var options: ClinicalOptions
        @OptionGroup var report: ReportOptions
        @Argument(help: "Couple id or prefix.") var id: String

        func run() async throws {
            let id = self.id
            try await report.run({ .couple(try await $0.resolve(id, as: .couple)) }, options: options)
        }
    }

    struct Client: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "client",
            abstract: "A client's progress report (their individual chart).",
            discussion: "Example:\n  haven report client 7b1c22d4 --out client.html"
        )

        @OptionGroup var options: ClinicalOptions
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
                commandName: "set",
                abstract: "Write the summary and recommendations for a period (sealed; from --file, stdin or $EDITOR).",
                discussion: """
                    Example:
                      haven report summary set --couple 3f2a91c0 --from 2026-09-01 --to 2026-11-30 --next-review 2027-01-15 --file summary.txt
                    """
            )

            @OptionGroup var options: ClinicalOptions
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
                    try await Clinic.with(options) { clinic in
                        let chart = try await self.chart.resolve(clinic)!
                        let body = HavenAPI.SummaryBody(
                            summary: text,
                            from: from.description,
                            to: to.description,
                            nextReview: nextReview?.description
                        )
                        let created = try await Clinic.naming([
                            "from": "--from", "to": "--to", "nextReview": "--next-review",
                        ]) {
                            try await clinic.api.send(
                                "POST",
                                Clinic.path(of: chart) + "/report-summaries",
                                body: body,
                                as: HavenAPI.Created.self
                            )
                        }
                        print(created.id)
                    }
                }
            }
        }
    }
}
