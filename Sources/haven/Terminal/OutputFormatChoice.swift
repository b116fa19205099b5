import Foundation

/// Picks a command's output format from `--format`, else from `--out`'s extension, else a default
/// (`haven report`, `haven export client`). A file whose extension does not fit the format
/// (`report.pdf` holding Markdown) is refused, naming both options, before anything is asked of the
/// server or written.
struct OutputFormatChoice<Format: RawRepresentable & Equatable & Sendable>: Sendable where Format.RawValue == String {
    /// The formats in the order messages list them, each with the extensions its files may have (the
    /// first is the one suggested).
    let formats: [(format: Format, extensions: [String])]
    /// What the file holds, for messages ("report", "export").
    let what: String

    /// The format for `--format` (`raw`) and `--out` (`out`), or `fallback`.
    func resolve(format raw: String?, out: String?, default fallback: Format) throws -> Format {
        let names = formats.map(\.format.rawValue)
        var format: Format?
        if let raw {
            guard let value = Format(rawValue: raw), names.contains(raw) else {
                throw UserError(message: "--format: '\(raw)' is not one of: \(names.joined(separator: ", "))")
            }
            format = value
        }
        guard let out else { return format ?? fallback }
        let name = URL(fileURLWithPath: out).lastPathComponent
        let ext = name.contains(".") ? URL(fileURLWithPath: out).pathExtension.lowercased() : ""
        guard !ext.isEmpty else { return format ?? fallback }
        let byExtension = formats.first { $0.extensions.contains(ext) }?.format
        switch (format, byExtension) {
        case (nil, let found?): return found
        case (let chosen?, let found?) where chosen == found: return chosen
        case (let chosen?, let found?):
            let suggested = formats.first { $0.format == chosen }?.extensions.first ?? chosen.rawValue
            throw UserError(
                message: "--out: '\(name)' ends in .\(ext), a \(found.rawValue) file, but --format is "
                    + "\(chosen.rawValue); name the file .\(suggested) or drop --format"
            )
        default:
            let files = Self.either(formats.map { "." + ($0.extensions.first ?? $0.format.rawValue) })
            throw UserError(
                message: "--out: '\(name)' ends in .\(ext), which is not \(what == "export" ? "an" : "a") \(what) "
                    + "format; name the file \(files) (or give --format \(Self.either(names)) with such a name)"
            )
        }
    }

    /// "a, b or c".
    private static func either(_ words: [String]) -> String {
        words.count < 2 ? words.joined() : words.dropLast().joined(separator: ", ") + " or " + words.last!
    }
}
