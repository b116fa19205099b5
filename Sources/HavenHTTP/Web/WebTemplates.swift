import Foundation
import HavenReports
import Mustache

/// The web app's templates, embedded at build time from `Web/Templates` (`webTemplates`), in one
/// `MustacheLibrary` built once per process, with `/static/` addresses versioned by their files' hashes
/// (`WebStaticFiles.versioned`). `{{x}}` escapes HTML (`< > & " '`) through `HTMLEscape`, the one
/// escaper of pages and reports (each template starts under its content type, `Escaping`); Haven's
/// templates never use the unescaped forms for anything but markup Haven made itself (docs/web.md).
enum WebTemplates {
    /// `{{x}}`'s escaping: `HTMLEscape.text` (swift-mustache's own HTML escaping compares whole
    /// characters, so it lets a quote followed by a combining mark through, and is slower).
    struct Escaping: MustacheContentType {
        static let name = "HAVEN_HTML"
        func escapeText(_ text: String) -> String { HTMLEscape.text(text) }
    }

    /// The line put in front of every template: the rest of the template renders under `Escaping`. A
    /// pragma alone on its line leaves no trace in the output, the line's end included.
    static let pragma = "{{% CONTENT_TYPE: \(Escaping.name)}}\n"

    /// Every template, named after its file without `.mustache` (`layout`, `sign-in`, `today`, ...).
    static let library: MustacheLibrary = {
        MustacheContentTypes.register(Escaping(), named: Escaping.name)
        var library = MustacheLibrary()
        for (file, text) in webTemplates where file.hasSuffix(".mustache") {
            let name = String(file.dropLast(".mustache".count))
            do {
                try library.register(pragma + WebStaticFiles.versioned(text), named: name)
            } catch {
                // The embedded templates are part of the build; a test renders each of them.
                preconditionFailure("web template \(file) does not parse: \(error)")
            }
        }
        return library
    }()

    /// The names of the embedded templates.
    static var names: [String] {
        webTemplates.map(\.name).filter { $0.hasSuffix(".mustache") }.map { String($0.dropLast(".mustache".count)) }
    }

    /// `view` rendered with the template `name`.
    static func render(_ view: Any, template name: String) -> String {
        guard let html = library.render(view, withTemplate: name) else {
            preconditionFailure("no web template named \(name)")
        }
        return html
    }
}
