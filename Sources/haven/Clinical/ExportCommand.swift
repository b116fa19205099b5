import ArgumentParser
import Foundation
import HavenService

/// `haven export`: records requests.
struct ExportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Export everything held about a client (records requests).",
        subcommands: [Client.self]
    )

    struct Client: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write a client's record, decrypted, as JSON (mode 0600).",
            discussion: """
                Leaves out the other partner's individual sessions, notes, cycle map and unshared homework \
                responses always, and psychotherapy notes unless asked. Audited.

                Example:
                  haven export client 3f2a91c0 --out alex-morgan-records.json
                """
        )

        @OptionGroup var options: ClinicalOptions
        @Argument(help: "Client id or prefix.") var id: String
        @Flag(help: "Include the psychotherapy notes you may read (audited as such).") var includePsychotherapyNotes =
            false
        @Option(help: "Output file (written with mode 0600).") var out: String

        func run() async throws {
            try await Clinic.with(options) { clinic in
                let clientID = try await clinic.resolve(id, as: .client)
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
}
