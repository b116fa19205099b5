import Foundation
import Sealing

/// Where Haven's mail goes and in whose name, from the environment or `haven serve`'s flags.
///
/// Keys (a flag wins over its variable):
/// - `HAVEN_MAIL` (`--mail`): `smtp://HOST[:PORT]` (port 25 by default) or `sendmail` or
///   `sendmail:COMMAND` (default `/usr/sbin/sendmail -t -i`). Unset: no mail is sent.
/// - `HAVEN_MAIL_FROM` (`--mail-from`): the sender address, e.g. `noreply@harbor.example`.
/// - `HAVEN_MAIL_CREDENTIALS_FILE` (`--mail-credentials-file`): for SMTP AUTH, a file only its owner
///   can read holding the user name on its first line and the password on its second. Credentials
///   are never taken from the command line or the URL, where `ps` and shell history would show them.
/// - `HAVEN_MAIL_STARTTLS` (`--mail-starttls`): `when-offered` (default), `required`, or `never`
///   (only for a relay on loopback).
/// - `HAVEN_MAIL_CA_FILE` (`--mail-ca-file`): PEM certificates to trust for the relay, besides the
///   system's.
public struct MailSettings: Sendable, Equatable {
    public var mail: String?
    public var from: String?
    public var credentialsFile: String?
    public var startTLS: String?
    public var caFile: String?

    public init(
        mail: String? = nil,
        from: String? = nil,
        credentialsFile: String? = nil,
        startTLS: String? = nil,
        caFile: String? = nil
    ) {
        self.mail = mail
        self.from = from
        self.credentialsFile = credentialsFile
        self.startTLS = startTLS
        self.caFile = caFile
    }

    /// The settings the environment gives (empty variables count as unset).
    public init(environment: [String: String]) {
        func value(_ name: String) -> String? { environment[name].flatMap { $0.isEmpty ? nil : $0 } }
        self.init(
            mail: value("HAVEN_MAIL"),
            from: value("HAVEN_MAIL_FROM"),
            credentialsFile: value("HAVEN_MAIL_CREDENTIALS_FILE"),
            startTLS: value("HAVEN_MAIL_STARTTLS"),
            caFile: value("HAVEN_MAIL_CA_FILE")
        )
    }

    /// These settings with each of `flags`' set values in place of this one's.
    public func overridden(by flags: MailSettings) -> MailSettings {
        MailSettings(
            mail: flags.mail ?? mail,
            from: flags.from ?? from,
            credentialsFile: flags.credentialsFile ?? credentialsFile,
            startTLS: flags.startTLS ?? startTLS,
            caFile: flags.caFile ?? caFile
        )
    }

    /// The configured mail, or nil when `HAVEN_MAIL` is unset.
    ///
    /// - Throws: `MailError` (`.configuration`) naming the variable (and flag) to fix.
    public func resolve() throws(MailError) -> MailConfiguration? {
        guard let mail else {
            for (name, value) in [("HAVEN_MAIL_FROM", from), ("HAVEN_MAIL_CREDENTIALS_FILE", credentialsFile)]
            where value != nil {
                throw MailError(.configuration, "\(name) is set but HAVEN_MAIL (--mail) is not: set where mail goes")
            }
            return nil
        }
        guard let from else {
            throw MailError(
                .configuration,
                "HAVEN_MAIL is set but HAVEN_MAIL_FROM (--mail-from) is not: set the sender address, e.g. noreply@your-practice.example"
            )
        }
        let sender: MailAddress
        do {
            sender = try MailAddress(from)
        } catch {
            throw MailError(.configuration, "HAVEN_MAIL_FROM (--mail-from): \(error.detail)")
        }
        if mail == "sendmail" || mail.hasPrefix("sendmail:") {
            for (name, value) in [
                ("HAVEN_MAIL_CREDENTIALS_FILE", credentialsFile), ("HAVEN_MAIL_STARTTLS", startTLS),
                ("HAVEN_MAIL_CA_FILE", caFile),
            ] where value != nil {
                throw MailError(
                    .configuration,
                    "\(name) applies to SMTP only; with HAVEN_MAIL=sendmail the sendmail program's own configuration decides"
                )
            }
            let command =
                mail == "sendmail" ? SendmailTransport.defaultCommand : String(mail.dropFirst("sendmail:".count))
            return MailConfiguration(transport: try SendmailTransport(command: command), from: sender)
        }
        return MailConfiguration(transport: try smtp(mail), from: sender)
    }

    private func smtp(_ url: String) throws(MailError) -> SMTPTransport {
        let usage = "HAVEN_MAIL (--mail) must be smtp://HOST[:PORT], sendmail or sendmail:COMMAND"
        guard url.lowercased().hasPrefix("smtp://"), let components = URLComponents(string: url),
            var host = components.host, !host.isEmpty
        else {
            throw MailError(.configuration, usage)
        }
        guard components.user == nil, components.password == nil else {
            throw MailError(
                .configuration,
                "HAVEN_MAIL must not hold credentials: put the user name and password in a file only you can read and name it in HAVEN_MAIL_CREDENTIALS_FILE"
            )
        }
        guard components.path.isEmpty || components.path == "/", components.query == nil, components.fragment == nil
        else {
            throw MailError(.configuration, usage)
        }
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        let port = components.port ?? 25
        guard (1...65535).contains(port) else {
            throw MailError(.configuration, "HAVEN_MAIL: the port must be 1 to 65535")
        }
        let mode: SMTPTransport.StartTLS
        if let startTLS {
            guard let parsed = SMTPTransport.StartTLS(rawValue: startTLS) else {
                throw MailError(
                    .configuration,
                    "HAVEN_MAIL_STARTTLS (--mail-starttls) must be when-offered, required or never"
                )
            }
            mode = parsed
        } else {
            mode = .whenOffered
        }
        if mode == .never, !SMTPTransport.isLoopback(host) {
            throw MailError(
                .configuration,
                "HAVEN_MAIL_STARTTLS=never is only for a relay on this machine (127.0.0.1, ::1, localhost); \(host) would see addresses in clear"
            )
        }
        if let caFile, !FileManager.default.isReadableFile(atPath: caFile) {
            throw MailError(.configuration, "HAVEN_MAIL_CA_FILE (--mail-ca-file): cannot read \(caFile)")
        }
        return SMTPTransport(
            host: host,
            port: port,
            startTLS: mode,
            credentials: try credentialsFile.map { path throws(MailError) in try Self.credentials(path) },
            caFile: caFile
        )
    }

    /// Reads the user name (first line) and password (second line) from a file only its owner can read.
    static func credentials(_ path: String) throws(MailError) -> SMTPTransport.Credentials {
        let data: Data
        do {
            data = try SecretFile.contents(of: path, what: "mail credentials file")
        } catch {
            throw MailError(.configuration, "HAVEN_MAIL_CREDENTIALS_FILE: \(error.description)")
        }
        // `isNewline` splits at "\r\n" too (one `Character` to Swift, which a split at "\n" misses).
        let lines = String(decoding: data, as: UTF8.self).split(
            omittingEmptySubsequences: false,
            whereSeparator: \.isNewline
        )
        .map(String.init)
        guard lines.count >= 2, !lines[0].isEmpty, !lines[1].isEmpty else {
            throw MailError(
                .configuration,
                "HAVEN_MAIL_CREDENTIALS_FILE \(path) must hold the user name on its first line and the password on its second"
            )
        }
        return SMTPTransport.Credentials(username: lines[0], password: lines[1])
    }
}

/// Mail as configured: the transport and the sender address.
public struct MailConfiguration: Sendable {
    public let transport: any MailTransport
    public let from: MailAddress

    public init(transport: any MailTransport, from: MailAddress) {
        self.transport = transport
        self.from = from
    }
}
