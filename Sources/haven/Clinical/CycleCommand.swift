import ArgumentParser
import Foundation
import HavenCore
import HavenService

/// `haven cycle`: a partner's cycle map (the EFT case formulation), saved in parts over several
/// sessions; every save is a new version.
struct CycleCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cycle",
        abstract: "Save, show and trace a partner's cycle map (EFT case formulation).",
        subcommands: [Set.self, Show.self, History.self]
    )

    /// The map's fields as the form and the tables name them, beside their JSON names.
    static let fields: [(label: String, key: String)] = [
        ("trigger", "trigger"), ("action tendency", "actionTendency"), ("perception of partner", "perceptionOfPartner"),
        ("reactive emotion", "reactiveEmotion"), ("primary emotion", "primaryEmotion"), ("unmet need", "unmetNeed"),
    ]

    /// Which couple and partner.
    struct Target: ParsableArguments {
        @Option(help: "Couple id or prefix.") var couple: String
        @Option(help: "The partner (client id or prefix).") var partner: String

        func path(_ clinic: Clinic) async throws -> String {
            let couple = try await clinic.resolve(couple, as: .couple)
            let partner = try await clinic.resolve(partner, as: .client)
            return "/v1/couples/\(full(couple))/cycle-maps/\(full(partner))"
        }
    }

    /// One stored version, as the API sends it.
    struct Version: Codable {
        var version: Int
        var createdAt: Date
        var position: String?
        var trigger: String?
        var actionTendency: String?
        var perceptionOfPartner: String?
        var reactiveEmotion: String?
        var primaryEmotion: String?
        var unmetNeed: String?
        var emptyFields: [String]

        func value(_ key: String) -> String? {
            switch key {
            case "trigger": trigger
            case "actionTendency": actionTendency
            case "perceptionOfPartner": perceptionOfPartner
            case "reactiveEmotion": reactiveEmotion
            case "primaryEmotion": primaryEmotion
            case "unmetNeed": unmetNeed
            default: nil
            }
        }
    }

    static let template = """


        # One field per line, "field: text"; lines that follow continue the field above. Give only
        # what you know now: fields left out keep their earlier text, a field left blank is emptied.
        # Fields: trigger, action tendency, perception of partner, reactive emotion, primary emotion,
        # unmet need.
        """

    /// Reads "field: text" lines into the map's JSON fields.
    static func parse(_ text: String) throws -> [String: String] {
        func normal(_ label: String) -> String {
            label.lowercased().filter { $0.isLetter }
        }
        let known = Dictionary(uniqueKeysWithValues: fields.map { (normal($0.label), $0.key) })
        var result: [String: String] = [:]
        var current: String?
        for line in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline) {
            if let colon = line.firstIndex(of: ":"), let key = known[normal(String(line[..<colon]))] {
                current = key
                result[key] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            } else if let current {
                result[current, default: ""] += "\n" + line
            } else if !line.allSatisfy(\.isWhitespace) {
                let label = line.split(separator: ":").first.map(String.init) ?? String(line)
                throw unknownValue(
                    label.trimmingCharacters(in: .whitespaces),
                    option: "--file",
                    kind: "a cycle map field",
                    allowed: fields.map(\.label)
                )
            }
        }
        return result.mapValues { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
    }

    struct Set: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "set",
            abstract: "Save a new version of a partner's cycle map: any subset of the fields.",
            discussion: """
                The fields come from --file (or $EDITOR with --edit) as "field: text" lines; fields left out \
                keep their earlier text, a field given blank is emptied. Each save is a new version.

                Example:
                  haven cycle set --couple 3f2a91c0 --partner 8b7c6d5e --position pursuer
                  printf 'trigger: partner turns away\\nunmet need: to matter\\n' | haven cycle set --couple 3f2a91c0 --partner 8b7c6d5e --file -
                """
        )

        @OptionGroup var options: ClinicalOptions
        @OptionGroup var target: Target
        @Option(help: "The partner's position: \(CyclePosition.allCases.map(\.rawValue).joined(separator: ", ")).")
        var position: String?
        @OptionGroup var input: TextInputOptions

        func run() async throws {
            let position = try self.position.map { text in
                guard let value = CyclePosition(rawValue: text) else {
                    throw unknownValue(
                        text,
                        option: "--position",
                        kind: "a cycle position",
                        allowed: CyclePosition.allCases.map(\.rawValue)
                    )
                }
                return value.rawValue
            }
            var text: String?
            if input.file != nil || input.forceEditor {
                text = try input.read(template: CycleCommand.template, what: "cycle map")
            } else if position == nil {
                throw UserError(message: "--position or --file: give the position, the fields, or both")
            }
            func save() async throws {
                var body = try text.map(CycleCommand.parse) ?? [:]
                if let position { body["position"] = position }
                try await Clinic.with(options) { clinic in
                    let path = try await target.path(clinic)
                    let saved = try await Clinic.naming(
                        ["partnerID": "--partner", "couple": "--couple", "map": "--file", "position": "--position"]
                    ) {
                        try await clinic.api.send("POST", path, body: body, as: Saved.self)
                    }
                    print("Saved version \(saved.version).")
                }
            }
            if let text {
                try await KeptText.guarding(text, kind: "cycle-map") { try await save() }
            } else {
                try await save()
            }
        }

        struct Saved: Decodable { var version: Int }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "show",
            abstract: "Show the latest version of a partner's cycle map and which fields are still empty.",
            discussion: "Example:\n  haven cycle show --couple 3f2a91c0 --partner 8b7c6d5e"
        )

        @OptionGroup var options: ClinicalOptions
        @OptionGroup var output: OutputOptions
        @OptionGroup var target: Target

        func run() async throws {
            try await Clinic.with(options) { clinic in
                let style = try await clinic.dateStyle()
                let versions = try await clinic.api.pages(try await target.path(clinic), as: Version.self)
                guard let latest = versions.last else {
                    try output.emit([Version]()) { "No cycle map yet; start one with 'haven cycle set'." }
                    return
                }
                try output.emit(latest) {
                    var lines = [
                        "version \(latest.version), \(style.dateTime(latest.createdAt))",
                        "position: \(latest.position ?? "(empty)")",
                    ]
                    for field in CycleCommand.fields {
                        lines.append("\(field.label): \(latest.value(field.key) ?? "(empty)")")
                    }
                    let empty = latest.emptyFields.map { key in
                        CycleCommand.fields.first { $0.key == key }?.label ?? key
                    }
                    lines.append(empty.isEmpty ? "complete" : "still empty: \(empty.joined(separator: ", "))")
                    return lines.joined(separator: "\n")
                }
            }
        }
    }

    struct History: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "history",
            abstract: "List every version of a partner's cycle map, oldest first.",
            discussion: "Example:\n  haven cycle history --couple 3f2a91c0 --partner 8b7c6d5e"
        )

        @OptionGroup var options: ClinicalOptions
        @OptionGroup var output: OutputOptions
        @OptionGroup var target: Target

        func run() async throws {
            try await Clinic.with(options) { clinic in
                let style = try await clinic.dateStyle()
                let versions = try await clinic.api.pages(try await target.path(clinic), as: Version.self)
                try output.emit(versions) {
                    guard !versions.isEmpty else { return "No cycle map yet." }
                    return TextTable(
                        header: ["VERSION", "SAVED", "POSITION", "FILLED", "STILL EMPTY"],
                        rows: versions.map { version in
                            [
                                "\(version.version)", style.dateTime(version.createdAt), version.position ?? "",
                                "\(7 - version.emptyFields.count)/7",
                                version.emptyFields.map { key in
                                    CycleCommand.fields.first { $0.key == key }?.label ?? key
                                }.joined(separator: ", "),
                            ]
                        }
                    ).render()
                }
            }
        }
    }
}
