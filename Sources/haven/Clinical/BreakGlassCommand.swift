import ArgumentParser
import Foundation
import HavenHTTP
import HavenService

/// `haven break-glass`: emergency read access to a chart outside your caseload.
struct BreakGlassCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "break-glass",
        abstract: "Open, close and list emergency read access to a chart outside your caseload.",
        discussion: """
            A grant needs a written reason (20+ characters), lasts one hour by default (at most eight), and \
            applies only to commands run with --break-glass, which are read-only and flagged in the audit log.

            Example:
              haven break-glass open --couple 3f2a91c0-5b7e-4c1d-9a2f-0e4d8c6b1a23 \\
                  --reason-file reason.txt
              haven note list --couple 3f2a91c0 --break-glass
            """,
        subcommands: [Open.self, Close.self, List.self]
    )

    struct Open: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "open",
            abstract: "Open a grant on one chart (its full id).",
            discussion: """
                The reason comes from --reason-file (a file, or '-' for stdin), else from stdin, or from \
                $EDITOR at a terminal: never from the command line, where other local users can read it.

                Example:
                  haven break-glass open --couple 3f2a91c0-5b7e-4c1d-9a2f-0e4d8c6b1a23 \\
                      --reason-file reason.txt --minutes 60
                  haven break-glass open --client 7b1c22d4-0c5e-4f1a-8d2b-9e3f4a5b6c7d
                """
        )

        @OptionGroup var options: ClinicalOptions
        @OptionGroup var chart: SessionCommand.ChartOptions
        @OptionGroup var reason: ReasonOptions
        @Option(help: "How long, in minutes (1-480).") var minutes = 60

        static let template = """


            # Why do you need access to this chart (20+ characters, sealed)? Lines starting with '#' are ignored.
            """

        func run() async throws {
            try reason.refuseOnCommandLine()
            // The chart is outside the actor's caseload: only a full id can name it.
            let (chartKind, text) = try chart.chosen()!
            let kind = chartKind.rawValue
            let chartID = try uuid(text, "--\(kind)")
            let reason = try reason.read(template: Self.template)
            try await Clinic.with(options) { clinic in
                let style = try await clinic.dateStyle()
                let body = HavenAPI.GrantBody(
                    chartKind: kind,
                    chartId: chartID,
                    reason: reason,
                    durationMinutes: minutes
                )
                let grant = try await Clinic.naming(["durationMinutes": "--minutes", "chartId": "--\(kind)"]) {
                    try await clinic.api.send("POST", "/v1/break-glass-grants", body: body, as: HavenAPI.GrantView.self)
                }
                print(
                    "Grant \(grant.id) open until \(style.dateTime(grant.expiresAt)); add --break-glass to read."
                )
            }
        }

        private func uuid(_ text: String, _ option: String) throws -> UUID {
            guard let id = UUID(uuidString: text) else {
                throw UserError(message: "\(option): give the chart's full id (prefixes reach only your caseload)")
            }
            return id
        }
    }

    struct Close: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "close",
            abstract: "Close a grant before it expires.",
            discussion: "Example:\n  haven break-glass close 6d7e8f90"
        )

        @OptionGroup var options: ClinicalOptions
        @Argument(help: "Grant id or prefix.") var id: String

        func run() async throws {
            try await Clinic.with(options) { clinic in
                let grantID = try await clinic.resolve(id, as: .grant)
                try await clinic.api.send("DELETE", "/v1/break-glass-grants/\(full(grantID))")
                print("Closed.")
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "list",
            abstract: "List your grants, newest first.",
            discussion: "Example:\n  haven break-glass list"
        )

        @OptionGroup var options: ClinicalOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            try await Clinic.with(options) { clinic in
                let style = try await clinic.dateStyle()
                let grants = try await clinic.api.pages("/v1/break-glass-grants", as: HavenAPI.GrantView.self)
                try output.emit(grants) {
                    guard !grants.isEmpty else { return "No break-glass grants." }
                    return TextTable(
                        header: ["ID", "CHART", "GRANTED", "EXPIRES", "STATE"],
                        rows: grants.map {
                            [
                                short($0.id), "\($0.chartKind) \(short($0.chartId))", style.dateTime($0.grantedAt),
                                style.dateTime($0.expiresAt),
                                $0.live ? "live" : ($0.revokedAt == nil ? "expired" : "closed"),
                            ]
                        }
                    ).render()
                }
            }
        }
    }
}
