import ArgumentParser
import Foundation
import HavenCore
import HavenHTTP
import HavenService

/// `haven measure`: outcome measures (CSI-4/16/32 and practice-defined).
struct MeasureCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "measure",
        abstract: "Record outcome measures, void a wrong one, and show a client's trend.",
        subcommands: [Record.self, VoidAdministration.self, Trend.self, Define.self]
    )

    struct Record: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "record",
            abstract: "Record an administration: item answers for CSI forms, a score for single-score measures.",
            discussion: """
                Example:
                  haven measure record --measure CSI-4 --client 3f2a91c0 --items 4,3,4,3 --date 2026-11-20
                  haven measure record --measure CLOSE --client 3f2a91c0 --score 12
                """
        )

        @OptionGroup var options: ClinicalOptions
        @Option(help: "Measure code (CSI-4, CSI-16, CSI-32 or a practice's own).") var measure: String
        @Option(help: "Client id or prefix.") var client: String
        @Option(help: "Item answers, comma-separated, in form order.") var items: String?
        @Option(help: "The score, for single-score measures.") var score: Double?
        @Option(help: "Administration date (YYYY-MM-DD; default today).") var date: String?
        @Option(help: "The session it was given in (id or prefix).") var session: String?

        func run() async throws {
            let answers = try (items ?? "").split(separator: ",").enumerated().map { index, part in
                guard let value = Int(part.trimmingCharacters(in: .whitespaces)) else {
                    throw UserError(message: "--items: item \(index + 1) ('\(part)') is not a whole number")
                }
                return value
            }
            let date = try self.date.map { try parseDate($0, option: "--date") }
            try await Clinic.with(options) { clinic in
                let clientID = try await clinic.resolve(client, as: .client)
                var administeredOn = date
                if administeredOn == nil { administeredOn = try await clinic.dateStyle().today() }
                let body = HavenAPI.MeasureBody(
                    code: measure,
                    administeredOn: administeredOn!.description,
                    items: answers.isEmpty ? nil : answers,
                    score: score,
                    sessionId: try await clinic.resolveIfGiven(session, as: .session)
                )
                let result = try await Clinic.naming(["administeredOn": "--date", "code": "--measure"]) {
                    try await clinic.api.send(
                        "POST",
                        "/v1/clients/\(full(clientID))/measures",
                        body: body,
                        as: HavenAPI.Recorded.self
                    )
                }
                print("\(result.id) total \(result.total.formatted(.number.precision(.fractionLength(0...2))))")
            }
        }
    }

    struct Trend: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "trend",
            abstract: "Show a client's administrations of a measure, with reliable change from first to last.",
            discussion: """
                Voided administrations are left out (of the series and of reliable change); \
                --include-voided lists them too, marked.

                Example:
                  haven measure trend --measure CSI-4 --client 3f2a91c0
                """
        )

        @OptionGroup var options: ClinicalOptions
        @OptionGroup var output: OutputOptions
        @Option(help: "Measure code.") var measure: String
        @Option(help: "Client id or prefix.") var client: String
        @Flag(help: "Also list voided administrations, marked VOIDED.") var includeVoided = false

        func run() async throws {
            try await Clinic.with(options) { clinic in
                let clientID = try await clinic.resolve(client, as: .client)
                let trend = try await clinic.api.send(
                    "GET",
                    "/v1/clients/\(full(clientID))/measures/\(APIClient.segment(measure))",
                    query: includeVoided ? [URLQueryItem(name: "includeVoided", value: "true")] : [],
                    as: HavenAPI.TrendView.self
                )
                try output.emit(trend) {
                    guard !trend.points.isEmpty else { return "No \(measure) administrations for this client." }
                    var text = TextTable(
                        header: ["ID", "DATE", "TOTAL", "BAND"],
                        rows: trend.points.map { point in
                            [
                                short(point.id),
                                point.date,
                                point.total.formatted(.number.precision(.fractionLength(0...2))),
                                point.voided == true
                                    ? "VOIDED" : trend.cutoff.map { point.total < $0 ? "distress" : "" } ?? "",
                            ]
                        }
                    ).render()
                    if let rci = trend.reliableChangeIndex, let label = trend.label {
                        text +=
                            "\nreliable change index \(rci.formatted(.number.precision(.fractionLength(2)))): \(label)"
                    }
                    return text
                }
            }
        }
    }

    struct VoidAdministration: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "void",
            abstract: "Void an administration recorded in error, saying why (kept, sealed reason, audited).",
            discussion: """
                The administration stays in the record, marked voided; trends, reports, exports and reliable \
                change leave it out. A void is final. The reason (20-1000 characters) comes from \
                --reason-file (a file, or '-' for stdin), else from stdin, or from $EDITOR at a terminal.

                Example:
                  haven measure trend --measure CSI-4 --client 3f2a91c0     # the ID column
                  haven measure void 9c41e2b7 --reason-file reason.txt
                """
        )

        @OptionGroup var options: ClinicalOptions
        @Argument(help: "The administration (id or prefix, from 'haven measure trend').") var id: String
        @OptionGroup var reason: ReasonOptions

        static let template = """


            # Why is this administration void (20+ characters, sealed)? Lines starting with '#' are ignored.
            """

        func run() async throws {
            try reason.refuseOnCommandLine()
            let text = try reason.read(template: Self.template)
            try await Clinic.with(options) { clinic in
                let administration = try await clinic.resolve(id, as: .measure)
                _ = try await Clinic.naming(["reason": "--reason-file"]) {
                    try await clinic.api.send(
                        "POST",
                        "/v1/measure-administrations/\(full(administration))/void",
                        body: HavenAPI.ReasonBody(reason: text),
                        as: HavenAPI.Voided.self
                    )
                }
                print("Voided \(full(administration))")
            }
        }
    }

    struct Define: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "define",
            abstract: "Define a practice's own single-score measure (operators).",
            discussion: """
                Reliable change needs the measure's SD and reliability with their source.

                Example:
                  haven measure define --code CLOSE --name "Closeness scale" --min 0 --max 100 --cutoff 40 \\
                      --sd 10 --reliability 0.9 --source "Practice norms, 2025 intake sample"
                """
        )

        @OptionGroup var database: OwnerDatabaseOptions
        @OptionGroup var practice: StaffCommand.PracticeOption
        @Option(help: "Short code used with --measure.") var code: String
        @Option(help: "Full name.") var name: String
        @Option(help: "Lowest possible score.") var min: Double
        @Option(help: "Highest possible score.") var max: Double
        @Flag(help: "Lower scores are better (default: higher).") var lowerIsBetter = false
        @Option(help: "Cut-off score for distress.") var cutoff: Double?
        @Option(help: "Standard deviation in a reference population.") var sd: Double?
        @Option(help: "Reliability (0 to below 1).") var reliability: Double?
        @Option(help: "Where the SD and reliability come from.") var source: String?

        func run() async throws {
            try await Operator.with(database) { op in
                let id = try await StaffService(pool: op.pool).defineMeasure(
                    .init(
                        code: code,
                        name: name,
                        minimum: min,
                        maximum: max,
                        higherIsBetter: !lowerIsBetter,
                        cutoff: cutoff,
                        standardDeviation: sd,
                        reliability: reliability,
                        parametersSource: source
                    ),
                    practiceID: try await op.practice(practice.practice),
                    source: KeyContext.source
                )
                print(full(id))
            }
        }
    }
}
