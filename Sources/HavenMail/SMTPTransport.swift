import Foundation

/// Sends each message in its own SMTP conversation with a relay: EHLO, STARTTLS when the relay
/// offers it (or refuses to go on without it, as configured), AUTH PLAIN or LOGIN when credentials
/// are configured (never over an unencrypted connection to another host), MAIL, RCPT, DATA with
/// dot-stuffing, QUIT. Each step has a timeout; a conversation runs on a thread of its own, so a slow
/// relay never blocks Swift's cooperative threads.
public struct SMTPTransport: MailTransport {
    /// When to use STARTTLS.
    public enum StartTLS: String, Sendable, CaseIterable {
        /// Use it when the relay offers it (and then verify the certificate).
        case whenOffered = "when-offered"
        /// Refuse to send unless the relay offers it.
        case required = "required"
        /// Never: only for a relay on this machine (loopback), e.g. a local postfix with a
        /// self-signed certificate.
        case never = "never"
    }

    /// A relay account.
    public struct Credentials: Sendable {
        public let username: String
        public let password: String
        public init(username: String, password: String) {
            self.username = username
            self.password = password
        }
    }

    public let host: String
    public let port: Int
    public let startTLS: StartTLS
    public let credentials: Credentials?
    /// Extra trusted certificates (PEM) for the relay, besides the system's.
    public let caFile: String?
    /// The name Haven gives in EHLO.
    public let heloName: String
    public let connectTimeout: Duration
    /// For each reply (and each write); the reply after the message's end gets twice as long.
    public let replyTimeout: Duration
    /// The AUTH mechanisms Haven may use, PLAIN before LOGIN (tests narrow it to reach LOGIN).
    var authMechanisms: Set<String> = ["PLAIN", "LOGIN"]

    public init(
        host: String,
        port: Int,
        startTLS: StartTLS = .whenOffered,
        credentials: Credentials? = nil,
        caFile: String? = nil,
        heloName: String? = nil,
        connectTimeout: Duration = .seconds(15),
        replyTimeout: Duration = .seconds(60)
    ) {
        self.host = host
        self.port = port
        self.startTLS = startTLS
        self.credentials = credentials
        self.caFile = caFile
        self.heloName = heloName ?? Self.localHostName()
        self.connectTimeout = connectTimeout
        self.replyTimeout = replyTimeout
    }

    public var summary: String { "SMTP relay \(host):\(port) (STARTTLS \(startTLS.rawValue))" }

    /// Whether `host` names this machine's loopback interface.
    public static func isLoopback(_ host: String) -> Bool {
        host == "localhost" || host == "::1" || host.hasPrefix("127.")
    }

    public func send(_ message: MailMessage) async throws(MailError) {
        let transport = self
        let result: Result<Void, MailError> = await withCheckedContinuation { continuation in
            let thread = Thread {
                continuation.resume(returning: Result { () throws(MailError) in try transport.converse(message) })
            }
            thread.name = "haven-smtp"
            thread.start()
        }
        try result.get()
    }

    /// The whole conversation, blocking.
    func converse(_ message: MailMessage) throws(MailError) {
        let connection = try SMTPConnection(
            host: host,
            port: port,
            connectTimeout: connectTimeout,
            ioTimeout: replyTimeout
        )
        defer { connection.close() }
        try expect(connection.readReply(timeout: replyTimeout), 220, "greeting")
        var extensions = try hello(connection)
        if startTLS != .never, extensions.contains(where: { $0.uppercased() == "STARTTLS" }) {
            try expect(command("STARTTLS", on: connection), 220, "STARTTLS")
            guard !connection.hasBufferedInput else {
                throw MailError(.security, "the mail relay \(host):\(port) sent data before the TLS handshake")
            }
            try connection.startTLS(serverName: host, caFile: caFile)
            extensions = try hello(connection)
        } else if startTLS == .required {
            throw MailError(
                .security,
                "the mail relay \(host):\(port) does not offer STARTTLS, which the configuration requires"
            )
        }
        if let credentials {
            try authenticate(credentials, extensions: extensions, on: connection)
        }
        try expect(command("MAIL FROM:<\(message.from.address)>", on: connection), 250, "the sender")
        try expect(command("RCPT TO:<\(message.to.address)>", on: connection), 250, "the recipient", also: 251)
        try expect(command("DATA", on: connection), 354, "DATA")
        try connection.write(Self.dotStuffed(message.rendered()) + Array(".\r\n".utf8))
        let final: SMTPReply
        do {
            final = try connection.readReply(timeout: replyTimeout * 2)
        } catch {
            throw MailError(
                error.code,
                "\(error.detail) after the message was sent: it may have been delivered",
                mayHaveBeenSent: true
            )
        }
        try expect(final, 250, "the message")
        _ = try? command("QUIT", on: connection)
    }

    /// EHLO, returning the extension keywords and their parameters (e.g. `AUTH PLAIN LOGIN`).
    private func hello(_ connection: SMTPConnection) throws(MailError) -> [String] {
        let reply = try command("EHLO \(heloName)", on: connection)
        try expect(reply, 250, "EHLO")
        return Array(reply.lines.dropFirst())
    }

    private func authenticate(
        _ credentials: Credentials,
        extensions: [String],
        on connection: SMTPConnection
    ) throws(MailError) {
        guard connection.isEncrypted || Self.isLoopback(host) else {
            throw MailError(
                .configuration,
                "refusing to send the relay password to \(host):\(port) unencrypted: it offers no STARTTLS"
            )
        }
        let mechanisms =
            extensions.first { $0.uppercased().hasPrefix("AUTH ") }.map {
                $0.uppercased().split(separator: " ").dropFirst().map(String.init)
            } ?? []
        let reply: SMTPReply
        if mechanisms.contains("PLAIN"), authMechanisms.contains("PLAIN") {
            let token = Data(([0] + Array(credentials.username.utf8) + [0] + Array(credentials.password.utf8)))
            reply = try command("AUTH PLAIN \(token.base64EncodedString())", on: connection)
        } else if mechanisms.contains("LOGIN"), authMechanisms.contains("LOGIN") {
            try expect(command("AUTH LOGIN", on: connection), 334, "AUTH LOGIN")
            let user = Data(credentials.username.utf8).base64EncodedString()
            try expect(command(user, on: connection), 334, "AUTH LOGIN")
            reply = try command(Data(credentials.password.utf8).base64EncodedString(), on: connection)
        } else {
            throw MailError(
                .configuration,
                "the mail relay \(host):\(port) offers neither AUTH PLAIN nor AUTH LOGIN (credentials are configured)"
            )
        }
        try expect(reply, 235, "the relay credentials")
    }

    private func command(_ line: String, on connection: SMTPConnection) throws(MailError) -> SMTPReply {
        try connection.write(Array((line + "\r\n").utf8))
        return try connection.readReply(timeout: replyTimeout)
    }

    /// Maps a reply other than the one expected: 4xx temporary, 5xx permanent, anything else a
    /// protocol error (retried). Only the code and enhanced status are repeated, never the relay's
    /// words, which often quote the recipient's address.
    private func expect(_ reply: SMTPReply, _ code: Int, _ what: String, also: Int? = nil) throws(MailError) {
        guard reply.code != code, reply.code != also else { return }
        let detail = "the mail relay \(host):\(port) refused \(what) (\(reply.shortForm))"
        switch reply.code {
        case 400..<500: throw MailError(.temporary, detail, replyCode: reply.code)
        case 500..<600: throw MailError(.permanent, detail, replyCode: reply.code)
        default:
            throw MailError(
                .network,
                "the mail relay \(host):\(port) answered \(what) unexpectedly (\(reply.shortForm))",
                replyCode: reply.code
            )
        }
    }

    /// RFC 5321 §4.5.2: a line that starts with "." gets one more, so no line of the message can be
    /// taken for its end.
    static func dotStuffed(_ bytes: [UInt8]) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(bytes.count + 16)
        var atLineStart = true
        for byte in bytes {
            if atLineStart, byte == UInt8(ascii: ".") { output.append(UInt8(ascii: ".")) }
            output.append(byte)
            atLineStart = byte == UInt8(ascii: "\n")
        }
        return output
    }

    /// This machine's name for EHLO, restricted to the characters a domain may have.
    static func localHostName() -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count) == 0 else { return "localhost" }
        let name = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        let allowed =
            !name.isEmpty
            && name.utf8.allSatisfy {
                $0 == 45 || $0 == 46 || (48...57).contains($0) || (65...90).contains($0) || (97...122).contains($0)
            }
        return allowed ? name : "localhost"
    }
}
