import Foundation

/// Why a counselor corrects the record without rewriting it: a session's wrong status, voiding a wrong
/// measure administration, closing an open high-risk flag without a later note. The one length rule for every such correction,
/// wherever it is asked for (a sibling of `RiskOverrideReason`, with the same bounds).
///
/// A reviewer must be able to tell why from the reason alone, so a token answer ("wrong", "ok") is
/// refused: at least 20 characters once surrounding whitespace is trimmed, and at most 1000. The text
/// itself is clinical (it is sealed where it is stored) and never appears in an error.
public struct CorrectionReason: Sendable, Equatable {
    /// The accepted length in characters, after trimming whitespace and newlines at both ends.
    public static let length: ClosedRange<Int> = StatedReason.length
    /// The field an error names, as the services and the HTTP API call it.
    public static let fieldName = "reason"

    /// The reason as given (it is stored as written; only its length is judged trimmed).
    public let text: String

    /// Accepts `text` when its trimmed length is within `length`.
    ///
    /// - Throws: `DomainError` naming `reason` and the accepted length.
    public init(_ text: String) throws(DomainError) {
        try StatedReason.check(text, field: Self.fieldName)
        self.text = text
    }
}
