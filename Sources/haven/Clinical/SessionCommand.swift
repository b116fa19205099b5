import ArgumentParser
import Foundation
import HavenCore
import HavenHTTP
import HavenService

/// `haven session`: scheduling and recording therapy sessions.
struct SessionCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "session",
        abstract: "Schedule sessions, record how they went, list them.",
        subcommands: [
            Schedule.self, SetStatus<Complete>.self, SetStatus<Cancel>.self, SetStatus<LateCancel>.self,
            SetStatus<NoShow>.self, CorrectStatus.self, List.self, Show.self,
        ]
    )

    /// Which chart a command is about: exactly one of `--couple` and `--client`.
    struct ChartOptions: ParsableArguments {
        @Option(help: "Couple id or prefix.") var couple: String?
        @Option(help: "Client id or prefix (an individual session).") var client: String?

        /// The chart named, resolved within reach; nil when neither was given and none is `required`.
        ///
        /// - Throws: `UserError` unless exactly one of `--couple` and `--client` was given (or neither,
        ///   when not `required`); `APIFailure` for a reference that names no chart in reach.
        func resolve(_ clinic: Clinic, required: Bool = true) async throws -> ChartReference? {
            switch try chosen(required: required) {
            case (.couple, let text)?: .couple(try await clinic.resolve(text, as: .couple))
            case (_, let text)?: .client(try await clinic.resolve(text, as: .client))
            case nil: nil
            }
        }

        /// Which flag was given and what was typed: `.couple` or `.client`, or nil when neither was
        /// given and none is `required`.
        ///
        /// - Throws: `UserError` unless exactly one of `--couple` and `--client` was given.
        func chosen(required: Bool = true) throws -> (kind: ReferenceResolver.Kind, text: String)? {
            switch (couple, client) {
            case (let couple?, nil): return (.couple, couple)
            case (nil, let client?): return (.client, client)
            case (nil, nil) where !required: return nil
            default: throw UserError(message: "give exactly one of --couple and --client")
            }
        }
    }

    struct Schedule: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "schedule",
            abstract: "Schedule a session (you, or --counselor, are its counselor).",
            discussion: """
                The front desk (the scheduler role) books any chart of the practice: the session's \
                counselor is the chart's own (--counselor, when given, must be that counselor). A \
                high-risk couple's conjoint session is the counselor's to book.

                A conjoint session for a couple with an open high-risk flag needs \
                --risk-override-reason-file (a file, or '-' for stdin).

                --type is conjoint for a couple and individual for a client when not given. A session \
                that overlaps another of yours is refused unless --allow-overlap (audited); one that \
                overlaps a session of the same clients (a partner's individual session, say) is booked \
                with a warning on stderr.

                Example:
                  haven session schedule --couple 3f2a91c0 --at 2026-11-24T15:00 --minutes 50 --format video \
                    --type assessment --service-code 90847
                """
        )

        @OptionGroup var options: ClinicalOptions
        @OptionGroup var chart: ChartOptions
        @Option(help: "Start, ISO 8601 (practice time unless an offset or Z is given).") var at: String
        @Option(
            help:
                "Length in minutes (\(SessionService.durationMinutes.lowerBound)-\(SessionService.durationMinutes.upperBound))."
        )
        var minutes = 50
        @Option(help: "in_person, video or phone.") var format = "in_person"
        @Option(
            help:
                "assessment, conjoint, individual, intake or follow_up (default: conjoint for a couple, individual for a client)."
        )
        var type: String?
        @Option(help: "CPT or HCPCS code, e.g. 90847 or 90837-95.") var serviceCode: String?
        @Flag(help: "Book over another of your sessions on purpose (audited).") var allowOverlap = false
        @Option(
            help: "The session's counselor (a staff id or prefix); default: you, or for the front desk the chart's."
        )
        var counselor: String?
        @OptionGroup var riskOverride: RiskOverrideOptions

        func run() async throws {
            let riskOverrideReason = try riskOverride.read()
            try await riskOverride.namingTheFlag {
                try await schedule(riskOverrideReason: riskOverrideReason)
            }
        }

        private func schedule(riskOverrideReason: String?) async throws {
            let format: SessionFormat = try parseValue(format, option: "--format", kind: "a session format")
            let type = try asFlag("--type") { try self.type.map(SessionType.parse) }
            let code = try asFlag("--service-code") {
                try serviceCode.map { code throws(DomainError) in try ServiceCode(code) }
            }
            try await Clinic.with(options) { clinic in
                let start = try await clinic.dateStyle().parseDateTime(at, option: "--at")
                let chart = try await chart.resolve(clinic)!
                let counselorID = try await clinic.resolveIfGiven(counselor, as: .staff)
                let body = HavenAPI.ScheduleBody(
                    coupleId: chart.coupleID,
                    clientId: chart.clientID,
                    start: start,
                    durationMinutes: minutes,
                    format: format.rawValue,
                    sessionType: type?.rawValue,
                    serviceCode: code?.code,
                    riskOverrideReason: riskOverrideReason,
                    allowOverlap: allowOverlap ? true : nil,
                    counselorId: counselorID
                )
                let created = try await Clinic.naming([
                    "durationMinutes": "--minutes", "start": "--at", "format": "--format", "sessionType": "--type",
                    "serviceCode": "--service-code", "counselorId": "--counselor",
                ]) {
                    try await clinic.api.send(
                        "POST",
                        "/v1/therapy-sessions",
                        body: body,
                        as: HavenAPI.ScheduledSession.self
                    )
                }
                for warning in created.warnings {
                    FileHandle.standardError.write(Data("haven: warning: \(warning)\n".utf8))
                }
                print(created.id)
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

        @OptionGroup var options: ClinicalOptions
        @Argument(help: "Session id or prefix.") var id: String

        func run() async throws {
            try await Clinic.with(options) { clinic in
                let session = try await clinic.resolve(id, as: .session)
                try await clinic.api.send(
                    "POST",
                    "/v1/therapy-sessions/\(full(session))/status",
                    body: HavenAPI.StatusBody(status: Kind.status.rawValue)
                )
                print("Session \(short(session)) is \(Kind.status.rawValue.replacingOccurrences(of: "_", with: " ")).")
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "show",
            abstract: "Show one session: time, chart, type, service code, status.",
            discussion: "Example:\n  haven session show 3f2a91c0 --json"
        )

        @OptionGroup var options: ClinicalOptions
        @OptionGroup var output: OutputOptions
        @Argument(help: "Session id or prefix.") var id: String

        func run() async throws {
            try await Clinic.with(options) { clinic in
                let style = try await clinic.dateStyle()
                let id = try await clinic.resolve(id, as: .session)
                let session = try await clinic.api.send(
                    "GET",
                    "/v1/therapy-sessions/\(full(id))",
                    as: SessionService.Listing.self
                )
                try output.emit(session) {
                    """
                    session \(session.id.uuidString.lowercased())
                    \(style.dateTime(session.start)), \(session.durationMinutes) minutes, \(session.format)
                    \(session.chart.kind) \(short(session.chart.id)), \(session.sessionType)\
                    \(session.serviceCode.map { ", service code \($0)" } ?? "")
                    status: \(session.status)\(session.noted ? ", noted" : "")
                    """
                }
            }
        }
    }

    struct CorrectStatus: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "correct-status",
            abstract: "Correct a wrongly recorded status, with a reason (sealed, audited).",
            discussion: """
                Any status can be corrected to any other: completed to no_show, cancelled to scheduled. \
                Completed and no_show still need the session to have started; a session with a progress \
                note stays completed; a session taking its slot back must not overlap another of the \
                counselor's. The reason (20+ characters) comes from --reason-file (a file, or '-' for \
                stdin), else from stdin, or from $EDITOR at a terminal: never from the command line.

                Example:
                  haven session correct-status 3f2a91c0 --to no_show --reason-file why.txt
                """
        )

        @OptionGroup var options: ClinicalOptions
        @Argument(help: "Session id or prefix.") var id: String
        @Option(help: "scheduled, completed, cancelled, late_cancelled or no_show.") var to: String
        @OptionGroup var reason: ReasonOptions

        static let template = """


            # Why is the recorded status wrong (20+ characters, sealed)? Lines starting with '#' are ignored.
            """

        func run() async throws {
            try reason.refuseOnCommandLine()
            let status = try asFlag("--to") { try SessionStatus.parse(to) }
            let text = try reason.read(template: Self.template)
            try await Clinic.with(options) { clinic in
                let session = try await clinic.resolve(id, as: .session)
                try await Clinic.naming(["status": "--to", "reason": "--reason-file"]) {
                    try await clinic.api.send(
                        "POST",
                        "/v1/therapy-sessions/\(full(session))/status-correction",
                        body: HavenAPI.StatusCorrectionBody(status: status.rawValue, reason: text)
                    )
                }
                print("Session \(short(session)) is now \(status.rawValue.replacingOccurrences(of: "_", with: " ")).")
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "list",
            abstract: "List sessions: one day's, or one chart's.",
            discussion: """
                With neither --day nor a chart, lists today's sessions.

                Example:
                  haven session list --day 2026-11-24
                  haven session list --couple 3f2a91c0 --json
                """
        )

        @OptionGroup var options: ClinicalOptions
        @OptionGroup var output: OutputOptions
        @OptionGroup var chart: ChartOptions
        @Option(help: "A day (YYYY-MM-DD) in the practice's time zone.") var day: String?

        func run() async throws {
            let day = try self.day.map { try parseDate($0, option: "--day") }
            try await Clinic.with(options) { clinic in
                let me = try await clinic.api.send("GET", "/v1/me", as: HavenAPI.MeResponse.self)
                let style = DateStyle(timeZoneName: me.timeZone)
                let chart = try await self.chart.resolve(clinic, required: false)
                func period(_ day: CalendarDate) -> Range<Date> {
                    style.start(of: day)..<style.start(of: day.adding(days: 1))
                }
                var sessions: [SessionService.Listing]
                if let chart {
                    // The chart's sessions, narrowed to the day when one was given.
                    sessions = try await clinic.api.pages(
                        Clinic.path(of: chart) + "/sessions",
                        as: SessionService.Listing.self
                    )
                    if let day { sessions = sessions.filter { period(day).contains($0.start) } }
                } else {
                    // The day's schedule across every chart in reach.
                    let day = period(day ?? style.today())
                    let instant = ISO8601DateFormatter()
                    sessions = try await clinic.api.pages(
                        "/v1/therapy-sessions",
                        query: [
                            URLQueryItem(name: "from", value: instant.string(from: day.lowerBound)),
                            URLQueryItem(name: "to", value: instant.string(from: day.upperBound)),
                        ],
                        as: SessionService.Listing.self
                    )
                }
                try output.emit(sessions) {
                    guard !sessions.isEmpty else {
                        // An admin alone reaches no session: say so rather than claim an empty day.
                        let reach: Set = ["counselor", "supervisor", "scheduler"]
                        return reach.isDisjoint(with: me.roles)
                            ? "No sessions in your reach: an admin sees no clinical record, and the practice's calendar "
                                + "is the scheduler role's (an operator grants it: haven staff set-roles)."
                            : "No sessions."
                    }
                    return TextTable(
                        header: ["ID", "START", "MIN", "WHO", "COUNSELOR", "TYPE", "CODE", "FORMAT", "STATUS", "NOTE"],
                        rows: sessions.map {
                            [
                                short($0.id), style.dateTime($0.start), "\($0.durationMinutes)",
                                $0.chartName.nonEmpty ?? "\($0.chart.kind) \(short($0.chart.id))",
                                $0.counselorName ?? short($0.counselorID), $0.sessionType, $0.serviceCode ?? "",
                                $0.format,
                                $0.status, $0.noted ? "yes" : "",
                            ]
                        }
                    ).render()
                }
            }
        }
    }
}

/// Runs a local domain check, naming `flag` (the flag the user typed) instead of the API field.
private func asFlag<Value>(_ flag: String, _ body: () throws -> Value) throws -> Value {
    do {
        return try body()
    } catch let error as DomainError {
        throw UserError(message: "\(flag): \(error.message)")
    }
}

extension ChartReference {
    /// The couple's id, for a couple chart.
    fileprivate var coupleID: UUID? {
        if case .couple(let id) = self { id } else { nil }
    }

    /// The client's id, for an individual chart.
    fileprivate var clientID: UUID? {
        if case .client(let id) = self { id } else { nil }
    }
}
