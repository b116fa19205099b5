/// Why a message could not be built or sent, and whether sending it later may succeed.
///
/// `description` is written for an operator and never holds a message's recipient or text: the
/// relay's reply is kept only as its code and the first line, which relays use for their own words.
public struct MailError: Error, Sendable, CustomStringConvertible {
    /// What went wrong, in kind.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        fileprivate let name: String
        /// An address that cannot be used (syntax).
        public static let invalidAddress = Code(name: "invalidAddress")
        /// A header value with a line break or another control character (header injection).
        public static let invalidHeader = Code(name: "invalidHeader")
        /// A template input that cannot be used (a link that is not http(s), a name too long).
        public static let invalidContent = Code(name: "invalidContent")
        /// The configuration (environment, flags, credentials file) cannot be used.
        public static let configuration = Code(name: "configuration")
        /// The relay or the sendmail command answered that it will not take the message now.
        public static let temporary = Code(name: "temporary")
        /// The relay or the sendmail command refused the message for good.
        public static let permanent = Code(name: "permanent")
        /// The relay could not be reached, did not answer in time, or the connection broke.
        public static let network = Code(name: "network")
        /// TLS could not be used as configured: not offered when required, or the relay's
        /// certificate did not verify (retried: it may be a passing misconfiguration or an attack).
        public static let security = Code(name: "security")
        public var description: String { name }
    }

    /// What happens to the message next.
    public enum Disposition: Sendable, Hashable {
        /// Try again later (a 4xx reply, a network problem, a timeout, TLS not as configured, a
        /// temporary sendmail exit).
        case retryLater
        /// Do not try again (a 5xx reply, a bad address, a refused message).
        case failed
    }

    public let code: Code
    /// What happened, for an operator.
    public let detail: String
    /// The relay's reply code, when the relay answered.
    public let replyCode: Int?
    /// Whether the relay may have accepted the message although no answer said so: the message's
    /// end was sent and the connection broke (or timed out) before the reply. An outbox must not
    /// send such a message again automatically.
    public let mayHaveBeenSent: Bool

    public init(_ code: Code, _ detail: String, replyCode: Int? = nil, mayHaveBeenSent: Bool = false) {
        self.code = code
        self.detail = detail
        self.replyCode = replyCode
        self.mayHaveBeenSent = mayHaveBeenSent
    }

    /// Retry later for temporary answers and network trouble; failed for everything else.
    public var disposition: Disposition {
        [.temporary, .network, .security].contains(code) ? .retryLater : .failed
    }

    public var description: String { detail }
}
