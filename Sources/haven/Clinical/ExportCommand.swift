import ArgumentParser
import Foundation
import HavenService

/// `haven export`: records requests.
struct ExportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Export everything held about a client (records requests).",
        subcommands: [Client.self, Review.self]
    )

    struct Client: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "client",
            abstract: "Write a client's record, decrypted, as JSON, Markdown or HTML (mode 0600).",
            discussion: """
                Leaves out the other partner's individual sessions, notes, cycle map and unshared homework \
                responses always, and psychotherapy notes unless asked. Audited. Before releasing it, run \
                `haven export review` to see what in it concerns the other partner.

                Example:
                  haven export client 3f2a91c0 --out alex-morgan-records.json
                  haven export client 3f2a91c0 --out alex-morgan-records.html
                """
        )

        @OptionGroup var options: ClinicalOptions
        @Argument(help: "Client id or prefix.") var id: String
        @Flag(help: "Include the psychotherapy notes you may read (audited as such).") var includePsychotherapyNotes =
            false
        @Option(help: "json (default), md or html (default: from --out's extension).") var format: String?
        @Option(help: "Output file (written with mode 0600); ends in .json, .md or .html.") var out: String

        /// The formats an export comes in, with the extensions a file of each may have.
        enum Format: String, Sendable { case json, md, html }
        static let formats = OutputFormatChoice<Format>(
            formats: [(.json, ["json"]), (.md, ["md", "markdown"]), (.html, ["html", "htm"])],
            what: "export"
        )

        func run() async throws {
            let format = try Self.formats.resolve(format: self.format, out: out, default: .json)
            try await Clinic.with(options) { clinic in
                let clientID = try await clinic.resolve(id, as: .client)
                guard format == .json else {
                    // The server renders the same document as Markdown or HTML; written as it came.
                    let data = try await clinic.api.data(
                        "GET",
                        "/v1/clients/\(full(clientID))/export",
                        query: [
                            URLQueryItem(
                                name: "psychotherapyNotes",
                                value: includePsychotherapyNotes ? "true" : "false"
                            )
                        ],
                        accept: format == .md ? "text/markdown" : "text/html"
                    )
                    let url = URL(fileURLWithPath: out)
                    try PrivateFile.write(data, to: url)
                    print("Wrote \(url.path) (\(format.rawValue)).")
                    return
                }
                // The server's haven-client-export-v1 bytes, written as they came.
                let data = try await clinic.api.data(
                    "GET",
                    "/v1/clients/\(full(clientID))/export",
                    query: [
                        URLQueryItem(name: "psychotherapyNotes", value: includePsychotherapyNotes ? "true" : "false")
                    ],
                    accept: "application/json"
                )
                let export: ClientExport
                do {
                    export = try ClientExport.decoder.decode(ClientExport.self, from: data)
                } catch {
                    throw UserError(message: "the server's export is not a haven-client-export-v1 document", status: 2)
                }
                let url = URL(fileURLWithPath: out)
                try PrivateFile.write(data, to: url)
                print(
                    "Wrote \(url.path): \(export.sessions.count) sessions, \(export.progressNotes.count) notes, "
                        + "\(export.homework.count) homework assignments, \(export.measures.count) measures."
                )
            }
        }
    }

    struct Review: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "review",
            abstract: "List what in a client's export concerns the other partner, to review before release.",
            discussion: """
                One line per record the export would carry about the other partner of any couple the client \
                is in (conjoint session notes and their addenda, the partner's shared homework responses, \
                cycle-map perceptions of the partner, attachment injuries, couple goals): kind, id, date and \
                a label, never the clinical text. Audited. See docs/security.md, "Exports".

                Example:
                  haven export review 3f2a91c0
                """
        )

        @OptionGroup var options: ClinicalOptions
        @OptionGroup var output: OutputOptions
        @Argument(help: "Client id or prefix.") var id: String
        @Flag(help: "Review the export with the psychotherapy notes you may read.") var includePsychotherapyNotes =
            false

        func run() async throws {
            try await Clinic.with(options) { clinic in
                let clientID = try await clinic.resolve(id, as: .client)
                let review = try await clinic.api.send(
                    "GET",
                    "/v1/clients/\(full(clientID))/export/review",
                    query: [
                        URLQueryItem(name: "psychotherapyNotes", value: includePsychotherapyNotes ? "true" : "false")
                    ],
                    as: ExportReview.self
                )
                try output.emit(review) {
                    guard !review.items.isEmpty else { return "Nothing in this export concerns another partner." }
                    return TextTable(
                        header: ["KIND", "ID", "DATE", "PARTNER", "WHAT"],
                        rows: review.items.map {
                            [$0.kind.rawValue, short($0.id), $0.date ?? "", short($0.partnerID), $0.label]
                        }
                    ).render()
                }
            }
        }
    }
}
