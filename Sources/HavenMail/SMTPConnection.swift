import CLibSSL
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// One TCP connection to an SMTP relay, plain or (after STARTTLS) TLS through OpenSSL, with blocking
/// POSIX I/O bounded by timeouts.
///
/// Blocking sockets on a thread of their own rather than SwiftNIO: a message is one short
/// conversation, the project already links OpenSSL (NIO's TLS would add swift-nio-ssl and a second
/// TLS library, BoringSSL, to build and patch), and STARTTLS over a blocking socket is `SSL_set_fd`
/// on the same descriptor. Not `Sendable`: `SMTPTransport` uses one connection on one thread only.
final class SMTPConnection {
    private var socket: Int32
    private var context: OpaquePointer?
    private var tls: OpaquePointer?
    private var buffer: [UInt8] = []
    private let ioTimeout: Duration
    private let endpoint: String

    /// Whether STARTTLS succeeded on this connection.
    var isEncrypted: Bool { tls != nil }

    /// Connects to `host`:`port`, trying each address the name resolves to, each within `connectTimeout`.
    ///
    /// - Throws: `MailError` (`.network`) when no address answers.
    init(host: String, port: Int, connectTimeout: Duration, ioTimeout: Duration) throws(MailError) {
        Self.ignoreBrokenPipes()
        let endpoint = "\(host):\(port)"
        self.endpoint = endpoint
        self.ioTimeout = ioTimeout
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, String(port), &hints, &list)
        guard status == 0, let first = list else {
            throw MailError(.network, "cannot find the mail relay \(host) (\(String(cString: gai_strerror(status))))")
        }
        defer { freeaddrinfo(list) }
        var lastError: Int32 = 0
        var candidate: UnsafeMutablePointer<addrinfo>? = first
        while let info = candidate {
            candidate = info.pointee.ai_next
            let descriptor = Glibc.socket(info.pointee.ai_family, info.pointee.ai_socktype, info.pointee.ai_protocol)
            guard descriptor >= 0 else {
                lastError = errno
                continue
            }
            if let error = Self.connect(descriptor, info.pointee.ai_addr, info.pointee.ai_addrlen, connectTimeout) {
                lastError = error
                Glibc.close(descriptor)
                continue
            }
            self.socket = descriptor
            var value = timeval(
                tv_sec: Int(ioTimeout.components.seconds),
                tv_usec: Int(ioTimeout.components.attoseconds / 1_000_000_000_000)
            )
            setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &value, socklen_t(MemoryLayout<timeval>.size))
            setsockopt(descriptor, SOL_SOCKET, SO_SNDTIMEO, &value, socklen_t(MemoryLayout<timeval>.size))
            return
        }
        throw MailError(.network, "cannot connect to the mail relay \(endpoint): \(Self.describe(errno: lastError))")
    }

    deinit { close() }

    /// Ends the connection (TLS close-notify first when encrypted); safe to call twice.
    func close() {
        if let tls {
            SSL_shutdown(tls)
            SSL_free(tls)
            self.tls = nil
        }
        if let context {
            SSL_CTX_free(context)
            self.context = nil
        }
        if socket >= 0 {
            Glibc.close(socket)
            socket = -1
        }
    }

    /// Sends all of `bytes`.
    ///
    /// - Throws: `MailError` (`.network`) when the connection breaks or the relay stops reading.
    func write(_ bytes: [UInt8]) throws(MailError) {
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { raw -> Int in
                if let tls {
                    return Int(SSL_write(tls, raw.baseAddress, Int32(clamping: raw.count)))
                }
                return send(socket, raw.baseAddress, raw.count, Int32(MSG_NOSIGNAL))
            }
            if written <= 0 {
                if written < 0, errno == EINTR, tls == nil { continue }
                throw MailError(
                    .network,
                    "writing to the mail relay \(endpoint) failed: \(Self.describe(errno: errno))"
                )
            }
            offset += written
        }
    }

    /// Reads one reply (all its lines), within `timeout` as a whole.
    ///
    /// - Throws: `MailError` (`.network`) on a timeout, a closed connection or a malformed reply.
    func readReply(timeout: Duration) throws(MailError) -> SMTPReply {
        let deadline = ContinuousClock.now + timeout
        var lines: [String] = []
        while true {
            let line = try readLine(deadline: deadline)
            guard line.count >= 3, let code = Int(String(decoding: line.prefix(3), as: UTF8.self)),
                (200...599).contains(code),
                line.count == 3 || line[3] == UInt8(ascii: " ") || line[3] == UInt8(ascii: "-")
            else {
                throw MailError(.network, "the mail relay \(endpoint) sent a malformed reply")
            }
            lines.append(String(decoding: line.dropFirst(min(4, line.count)), as: UTF8.self))
            if line.count == 3 || line[3] == UInt8(ascii: " ") {
                return SMTPReply(code: code, lines: lines)
            }
            guard lines.count < 100 else {
                throw MailError(.network, "the mail relay \(endpoint) sent a reply of more than 100 lines")
            }
        }
    }

    /// Whether bytes the relay sent are waiting unread (after a STARTTLS reply there must be none:
    /// plaintext sent before the handshake would be taken as if it came encrypted).
    var hasBufferedInput: Bool { !buffer.isEmpty }

    /// Upgrades the connection to TLS 1.2 or newer, verifying the relay's certificate against the
    /// system's trust store (plus `caFile`) and `serverName`.
    ///
    /// - Throws: `MailError` (`.security`) when the handshake or the verification fails,
    ///   (`.configuration`) when `caFile` cannot be read.
    func startTLS(serverName: String, caFile: String?) throws(MailError) {
        guard let context = SSL_CTX_new(TLS_client_method()) else {
            throw MailError(.security, "cannot set up TLS for the mail relay \(endpoint)")
        }
        self.context = context
        SSL_CTX_ctrl(context, SSL_CTRL_SET_MIN_PROTO_VERSION, Int(TLS1_2_VERSION), nil)
        SSL_CTX_set_default_verify_paths(context)
        if let caFile {
            guard SSL_CTX_load_verify_locations(context, caFile, nil) == 1 else {
                ERR_clear_error()
                throw MailError(.configuration, "cannot read the mail relay's CA file \(caFile) (PEM certificates)")
            }
        }
        SSL_CTX_set_verify(context, SSL_VERIFY_PEER, nil)
        guard let tls = SSL_new(context) else {
            throw MailError(.security, "cannot set up TLS for the mail relay \(endpoint)")
        }
        self.tls = tls
        SSL_set_fd(tls, socket)
        let isAddress = serverName.contains(":") || serverName.allSatisfy { $0.isNumber || $0 == "." }
        if isAddress {
            X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(tls), serverName)
        } else {
            serverName.withCString { name in
                _ = SSL_ctrl(
                    tls,
                    SSL_CTRL_SET_TLSEXT_HOSTNAME,
                    Int(TLSEXT_NAMETYPE_host_name),
                    UnsafeMutableRawPointer(mutating: name)
                )
            }
            SSL_set1_host(tls, serverName)
        }
        guard SSL_connect(tls) == 1 else {
            let verify = SSL_get_verify_result(tls)
            ERR_clear_error()
            let reason =
                verify != X509_V_OK
                ? String(cString: X509_verify_cert_error_string(verify))
                : "the handshake failed or timed out"
            SSL_free(tls)
            self.tls = nil
            throw MailError(.security, "TLS with the mail relay \(endpoint) failed: \(reason)")
        }
    }

    /// One line without its CRLF (a bare LF is accepted), at most 2,000 bytes.
    private func readLine(deadline: ContinuousClock.Instant) throws(MailError) -> [UInt8] {
        while true {
            if let end = buffer.firstIndex(of: UInt8(ascii: "\n")) {
                var line = Array(buffer[..<end])
                buffer.removeSubrange(...end)
                if line.last == UInt8(ascii: "\r") { line.removeLast() }
                return line
            }
            guard buffer.count <= 2_000 else {
                throw MailError(.network, "the mail relay \(endpoint) sent a line longer than 2,000 bytes")
            }
            guard ContinuousClock.now < deadline else {
                throw MailError(.network, "the mail relay \(endpoint) did not answer in time")
            }
            var chunk = [UInt8](repeating: 0, count: 4_096)
            let count = chunk.withUnsafeMutableBytes { raw -> Int in
                if let tls { return Int(SSL_read(tls, raw.baseAddress, Int32(raw.count))) }
                return recv(socket, raw.baseAddress, raw.count, 0)
            }
            if count > 0 {
                buffer += chunk[..<count]
                continue
            }
            let error = errno
            if count < 0, error == EINTR, tls == nil { continue }
            if count < 0, error == EAGAIN || error == EWOULDBLOCK {
                throw MailError(.network, "the mail relay \(endpoint) did not answer in time")
            }
            throw MailError(.network, "the mail relay \(endpoint) closed the connection")
        }
    }

    /// Connects a socket within `timeout` (non-blocking connect, then poll); returns errno on failure.
    private static func connect(
        _ descriptor: Int32,
        _ address: UnsafeMutablePointer<sockaddr>?,
        _ length: socklen_t,
        _ timeout: Duration
    ) -> Int32? {
        let flags = fcntl(descriptor, F_GETFL)
        _ = fcntl(descriptor, F_SETFL, flags | O_NONBLOCK)
        defer { _ = fcntl(descriptor, F_SETFL, flags) }
        if Glibc.connect(descriptor, address, length) == 0 { return nil }
        guard errno == EINPROGRESS else { return errno }
        let deadline = ContinuousClock.now + timeout
        while true {
            let remaining = deadline - .now
            guard remaining > .zero else { return ETIMEDOUT }
            let milliseconds = Int32(
                clamping: remaining.components.seconds * 1_000 + remaining.components.attoseconds
                    / 1_000_000_000_000_000 + 1
            )
            var poller = pollfd(fd: descriptor, events: Int16(POLLOUT), revents: 0)
            let ready = poll(&poller, 1, milliseconds)
            if ready < 0, errno == EINTR { continue }
            if ready < 0 { return errno }
            if ready == 0 { continue }
            var error: Int32 = 0
            var size = socklen_t(MemoryLayout<Int32>.size)
            getsockopt(descriptor, SOL_SOCKET, SO_ERROR, &error, &size)
            return error == 0 ? nil : error
        }
    }

    private static func describe(errno error: Int32) -> String {
        switch error {
        case ETIMEDOUT, EAGAIN: "timed out"
        case ECONNREFUSED: "connection refused"
        default: String(cString: strerror(error))
        }
    }

    /// A write to a connection the peer closed raises SIGPIPE, whose default action ends the
    /// process; OpenSSL writes with `write`, not `send(MSG_NOSIGNAL)`. Haven ignores the signal
    /// and reads the EPIPE error instead (so does a sendmail command's stdin pipe).
    static func ignoreBrokenPipes() {
        _ = brokenPipesIgnored
    }

    private static let brokenPipesIgnored: Bool = {
        signal(SIGPIPE, SIG_IGN)
        return true
    }()
}

/// A relay's reply: its three-digit code and the text of each line.
struct SMTPReply: Sendable, Equatable {
    let code: Int
    let lines: [String]

    /// The enhanced status code (RFC 3463, e.g. `5.1.1`) at the start of the first line, if any:
    /// the only part of a relay's words Haven repeats, since relays quote the recipient in the rest.
    var enhancedStatus: String? {
        guard let first = lines.first?.split(separator: " ").first else { return nil }
        let parts = first.split(separator: ".")
        guard parts.count == 3, parts.allSatisfy({ !$0.isEmpty && $0.allSatisfy(\.isNumber) && $0.count <= 3 }) else {
            return nil
        }
        return String(first)
    }

    /// `550 5.1.1` or `550`.
    var shortForm: String { [String(code), enhancedStatus].compactMap { $0 }.joined(separator: " ") }
}
