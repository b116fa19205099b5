import ArgumentParser
import Foundation

/// `--portal-url`: the portal's address, the link in every reminder (`haven notify run`, `haven serve`).
struct PortalLinkOption: ParsableArguments {
    @Option(
        name: .customLong("portal-url"),
        help: ArgumentHelp(
            "The portal's address, the messages' link (default: $HAVEN_PORTAL_URL).",
            valueName: "url"
        )
    )
    var portalURL: String?

    /// The flag, else `$HAVEN_PORTAL_URL`, as an absolute http(s) URL.
    ///
    /// - Throws: `UserError` saying what to set.
    func link() throws -> URL {
        let text = portalURL ?? ProcessInfo.processInfo.environment["HAVEN_PORTAL_URL"] ?? ""
        guard let link = URL(string: text), ["https", "http"].contains(link.scheme ?? ""), link.host != nil else {
            throw UserError(message: "--portal-url (or HAVEN_PORTAL_URL) must be the portal's http(s) address")
        }
        return link
    }
}
