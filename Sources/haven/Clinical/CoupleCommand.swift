import ArgumentParser
import Foundation
import HavenCore
import HavenHTTP
import HavenService

/// `haven couple`: couple charts, the unit of EFT work.
struct CoupleCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "couple",
        abstract: "Open, list and show couple charts; pause, discharge or reactivate them.",
        subcommands: [Add.self, List.self, Show.self, Status.self, CloseRiskFlag.self]
    )

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "add",
            abstract: "Open a couple chart for two clients of your caseload.",
            discussion: """
                Presenting concerns (optional, sealed) come from --concerns-file, or are left empty.

                Example:
                  haven couple add --partner-a 3f2a91c0 --partner-b 7b1c22d4 --start 2026-09-01 --concerns-file intake.txt
                """
        )

        @OptionGroup var options: ClinicalOptions
        @Option(help: "Partner A's client id or prefix.") var partnerA: String
        @Option(help: "Partner B's client id or prefix.") var partnerB: String
        @Option(help: "Start date (YYYY-MM-DD; default today).") var start: String?
        @Option(help: "File holding the presenting concerns ('-' for stdin).") var concernsFile: String?

        func run() async throws {
            let start = try self.start.map { try parseDate($0, option: "--start") }
            var concerns: String?
            if let concernsFile {
                concerns = try TextInputOptions.read(file: concernsFile, template: "", what: "presenting concerns")
            }
            try await Clinic.with(options) { clinic in
                var startDate = start
                if startDate == nil { startDate = try await clinic.dateStyle().today() }
                let body = HavenAPI.NewCoupleBody(
                    partnerAId: try await clinic.resolve(partnerA, as: .client),
                    partnerBId: try await clinic.resolve(partnerB, as: .client),
                    startDate: startDate!.description,
                    presentingConcerns: concerns
                )
                let created = try await Clinic.naming([
                    "partnerA": "--partner-a", "partnerAId": "--partner-a", "partnerB": "--partner-b",
                    "partnerBId": "--partner-b", "startDate": "--start", "presentingConcerns": "--concerns-file",
                ]) {
                    try await clinic.api.send("POST", "/v1/couples", body: body, as: HavenAPI.Created.self)
                }
                print(created.id)
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "list",
            abstract: "List your couples with their EFT stage and step and their sessions.",
            discussion: """
                Lists your caseload (and your supervisees', if you supervise), or one counselor's.

                Example:
                  haven couple list
                  haven couple list --json
                """
        )

        @OptionGroup var output: OutputOptions
        @Option(help: "Only this counselor's couples (id or prefix of a counselor in your reach).") var counselor:
            String?

        func run() async throws {
            // Through the server: GET /v1/me for the practice's time zone, GET /v1/couples page by page.
            let client = try SessionFile.required().client()
            let me = try await client.send("GET", "/v1/me", as: HavenAPI.MeResponse.self)
            let style = DateStyle(timeZoneName: me.timeZone)
            var couples = try await client.pages("/v1/couples", as: ChartService.CoupleSummary.self)
            if let counselor {
                let counselorID = try Self.match(counselor, among: Set(couples.map(\.counselorID)))
                couples = couples.filter { $0.counselorID == counselorID }
            }
            try output.emit(couples) {
                guard !couples.isEmpty else { return "No couples in your caseload yet ('haven couple add')." }
                return TextTable(
                    header: ["ID", "PARTNERS", "STATUS", "STAGE", "STEP", "RISK", "LAST SESSION", "NEXT SESSION"],
                    rows: couples.map { couple in
                        [
                            short(couple.id), "\(couple.partnerA) & \(couple.partnerB)", couple.status,
                            couple.stage.map { "\($0) \(stageName($0))" } ?? "-",
                            couple.step.map(String.init) ?? "-",
                            couple.highRisk ? "HIGH" : "",
                            couple.lastSession.map(style.dateTime) ?? "-",
                            couple.nextSession.map(style.dateTime) ?? "-",
                        ]
                    }
                ).render()
            }
        }

        /// The one counselor of your reachable couples whose id `text` is, or starts with.
        static func match(_ text: String, among counselors: Set<UUID>) throws -> UUID {
            if let id = UUID(uuidString: text.trimmingCharacters(in: .whitespaces)) {
                guard counselors.contains(id) else {
                    throw UserError(message: "counselor: no counselor of a couple in your reach is \(full(id))")
                }
                return id
            }
            guard let digits = ReferenceResolver.prefixDigits(text) else {
                throw UserError(
                    message: "counselor: '\(text.prefix(40))' is not a UUID or a prefix of at least 8 hex digits"
                )
            }
            let matches = counselors.filter { $0.uuidString.lowercased().filter { $0 != "-" }.hasPrefix(digits) }
            guard matches.count <= 1 else {
                let names = matches.map { $0.uuidString.lowercased() }.sorted().joined(separator: ", ")
                throw UserError(message: "counselor: \(digits) matches several: \(names); give more digits")
            }
            guard let match = matches.first else {
                throw UserError(message: "counselor: no counselor of a couple in your reach starts with \(digits)")
            }
            return match
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "show",
            abstract: "Show a couple chart, presenting concerns included.",
            discussion: "Example:\n  haven couple show 3f2a91c0 --json"
        )

        @OptionGroup var options: ClinicalOptions
        @OptionGroup var output: OutputOptions
        @Argument(help: "Couple id or prefix (8+ hex digits).") var id: String

        func run() async throws {
            try await Clinic.with(options) { clinic in
                let coupleID = try await clinic.resolve(id, as: .couple)
                let couple = try await clinic.api.send(
                    "GET",
                    "/v1/couples/\(full(coupleID))",
                    as: HavenAPI.CoupleView.self
                )
                try output.emit(couple) {
                    """
                    \(couple.partnerA.name) (\(short(couple.partnerA.id))) & \(couple.partnerB.name) (\(short(couple.partnerB.id)))  \(couple.id)
                    started \(couple.startDate), \(couple.status)
                    presenting concerns: \(couple.presentingConcerns ?? "-")
                    """
                }
            }
        }
    }
}
