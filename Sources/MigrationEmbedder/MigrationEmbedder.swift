import Foundation

/// Writes a Swift file holding the text of each SQL migration given on the command line.
///
/// Usage: `MigrationEmbedder OUTPUT.swift FILE.sql...` (run by the EmbedMigrations build plugin).
@main
struct MigrationEmbedder {
    static func main() throws {
        let arguments = CommandLine.arguments.dropFirst()
        guard let output = arguments.first else {
            FileHandle.standardError.write(Data("usage: MigrationEmbedder OUTPUT.swift FILE.sql...\n".utf8))
            exit(64)
        }
        var source = """
            // Generated at build time by MigrationEmbedder from sql/migrations. Do not edit.

            /// The SQL migrations this build carries, as (file name, SQL text), in file-name order.
            let embeddedMigrationFiles: [(name: String, sql: String)] = [

            """
        for path in arguments.dropFirst() {
            let url = URL(fileURLWithPath: path)
            let text = try String(contentsOf: url, encoding: .utf8)
            source += "    (\(literal(url.lastPathComponent)), \(literal(text))),\n"
        }
        source += "]\n"
        try Data(source.utf8).write(to: URL(fileURLWithPath: output), options: .atomic)
    }

    /// A Swift string literal holding exactly `text`.
    static func literal(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\\": out += "\\\\"
            case "\"": out += "\\\""
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7f {
                    out += "\\u{\(String(scalar.value, radix: 16))}"
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }
}
