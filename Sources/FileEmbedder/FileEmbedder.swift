import Foundation

/// Writes a Swift source file holding the text of other files, so a build carries them and the
/// binary needs no files beside it. Run by the build-tool plugins in `Plugins/`; the files it reads
/// stay the only copy.
///
/// Usage:
/// - `FileEmbedder OUTPUT.swift --text NAME FILE` declares `let NAME: String`, the file's text.
/// - `FileEmbedder OUTPUT.swift --files NAME FILE...` declares `let NAME: [(name: String, text: String)]`,
///   each file's name and text, in the order given.
///
/// The text is kept byte for byte (a file that is not UTF-8 is refused).
@main
struct FileEmbedder {
    static let usage = "usage: FileEmbedder OUTPUT.swift (--text NAME FILE | --files NAME FILE...)\n"

    static func main() throws {
        let arguments = Array(CommandLine.arguments.dropFirst())
        guard arguments.count >= 3, ["--text", "--files"].contains(arguments[1]),
            arguments[1] == "--files" || arguments.count == 4
        else {
            FileHandle.standardError.write(Data(usage.utf8))
            exit(64)
        }
        let (output, form, name) = (arguments[0], arguments[1], arguments[2])
        let files = arguments.dropFirst(3).map { URL(fileURLWithPath: $0) }
        let sources = files.map(\.lastPathComponent).joined(separator: ", ")
        var source = "// Generated at build time by FileEmbedder from \(sources). Do not edit.\n\n"
        if form == "--text" {
            source += "/// The text of \(sources), embedded at build time.\n"
            source += "let \(name) = \(literal(try text(of: files[0])))\n"
        } else {
            source += "/// The embedded files, as (file name, text), in the order the build plugin gave them.\n"
            source += "let \(name): [(name: String, text: String)] = [\n"
            for file in files {
                source += "    (\(literal(file.lastPathComponent)), \(literal(try text(of: file)))),\n"
            }
            source += "]\n"
        }
        try Data(source.utf8).write(to: URL(fileURLWithPath: output), options: .atomic)
    }

    /// The file's bytes as a string, refused unless they are UTF-8 (a byte order mark is kept).
    static func text(of file: URL) throws -> String {
        let data = try Data(contentsOf: file)
        guard let text = String(validating: data, as: UTF8.self) else {
            throw EmbedderError(description: "\(file.path) is not UTF-8")
        }
        return text
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

/// A file the embedder cannot carry.
struct EmbedderError: Error, CustomStringConvertible {
    let description: String
}
