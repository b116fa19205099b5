import ArgumentParser
import Foundation
import HavenMail

/// Where `haven serve` sends mail: flags over the `HAVEN_MAIL*` variables (docs/operations.md "Mail").
/// The relay's password is read from a file only, never taken as a flag.
struct MailOptions: ParsableArguments {
    @Option(
        name: .customLong("mail"),
        help: ArgumentHelp(
            "Where mail goes: smtp://HOST[:PORT], sendmail or sendmail:COMMAND (default: $HAVEN_MAIL; unset: no mail).",
            valueName: "target"
        )
    )
    var mail: String?

    @Option(
        name: .customLong("mail-from"),
        help: ArgumentHelp("Sender address of Haven's mail (default: $HAVEN_MAIL_FROM).", valueName: "address")
    )
    var from: String?

    @Option(
        name: .customLong("mail-credentials-file"),
        help: ArgumentHelp(
            "File (mode 600) with the relay's user name and password on two lines (default: $HAVEN_MAIL_CREDENTIALS_FILE).",
            valueName: "path"
        )
    )
    var credentialsFile: String?

    @Option(
        name: .customLong("mail-starttls"),
        help: ArgumentHelp(
            "when-offered, required, or never (loopback relays only) (default: $HAVEN_MAIL_STARTTLS or when-offered).",
            valueName: "mode"
        )
    )
    var startTLS: String?

    @Option(
        name: .customLong("mail-ca-file"),
        help: ArgumentHelp(
            "Extra PEM certificates to trust for the relay (default: $HAVEN_MAIL_CA_FILE).",
            valueName: "path"
        )
    )
    var caFile: String?

    /// The mail configuration, or nil when none is set.
    ///
    /// - Throws: `UserError` naming the variable or flag to fix.
    func configuration() throws -> MailConfiguration? {
        let flags = MailSettings(
            mail: mail,
            from: from,
            credentialsFile: credentialsFile,
            startTLS: startTLS,
            caFile: caFile
        )
        do {
            return try MailSettings(environment: ProcessInfo.processInfo.environment).overridden(by: flags).resolve()
        } catch {
            throw UserError(message: error.detail)
        }
    }
}
