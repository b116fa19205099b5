import Foundation
import Mustache

/// The web app's templates, embedded at build time from `Web/Templates` (`webTemplates`), in one
/// `MustacheLibrary` built once per process, with `/static/` addresses versioned by their files' hashes
/// (`WebStaticFiles.versioned`). `{{x}}` escapes HTML (`< > & " '`); Haven's templates
/// never use the unescaped forms for anything but markup Haven made itself (docs/web.md).
enum WebTemplates {
    /// Every template, named after its file without `.mustache` (`layout`, `sign-in`, `today`, ...).
    static let library: MustacheLibrary = {
        var library = MustacheLibrary()
        for (file, text) in webTemplates where file.hasSuffix(".mustache") {
            let name = String(file.dropLast(".mustache".count))
            do {
                try library.register(WebStaticFiles.versioned(text), named: name)
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
