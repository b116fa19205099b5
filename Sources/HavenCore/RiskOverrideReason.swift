import Foundation

/// Why a counselor goes past the high-risk safety gate: a joint (partner-to-partner) homework exercise
/// or a conjoint session for a couple whose latest note records high risk (docs/security.md, "Safety:
/// high-risk couples"). The one length rule for every such override, wherever it is asked for.
///
/// A reviewer must be able to tell why from the reason alone, so a token answer ("ok", "yes") is
/// refused: like a break-glass reason, at least 20 characters once surrounding whitespace is trimmed,
/// and at most 1000. The text itself is clinical (it is sealed where it is stored) and never appears
/// in an error.
public struct RiskOverrideReason: Sendable, Equatable {
    /// The accepted length in characters, after trimming whitespace and newlines at both ends.
    public static let length: ClosedRange<Int> = StatedReason.length
    /// The field an error names, as the services and the HTTP API call it.
    public static let fieldName = "riskOverrideReason"

    /// The reason as given (it is stored as written; only its length is judged trimmed).
    public let text: String

    /// Accepts `text` when its trimmed length is within `length`.
    ///
    /// - Throws: `DomainError` naming `riskOverrideReason` and the accepted length.
    public init(_ text: String) throws(DomainError) {
        try StatedReason.check(text, field: Self.fieldName)
        self.text = text
    }
}
