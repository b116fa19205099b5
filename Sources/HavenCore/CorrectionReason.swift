import Foundation

/// Why a counselor corrects a record that was entered wrongly (a session's status, for now). Like a
/// risk-override reason (`RiskOverrideReason`), a reviewer must be able to tell why from the reason
/// alone: at least 20 characters once surrounding whitespace is trimmed, at most 1000. The text may be
/// clinical (it is sealed where it is stored) and never appears in an error.
public struct CorrectionReason: Sendable, Equatable {
    /// The accepted length in characters, after trimming whitespace and newlines at both ends.
    public static let length: ClosedRange<Int> = RiskOverrideReason.length
    /// The field an error names, as the services and the HTTP API call it.
    public static let fieldName = "reason"

    /// The reason as given.
    public let text: String

    /// Accepts `text` when its trimmed length is within `length`.
    ///
    /// - Throws: `DomainError` naming `reason` and the accepted length.
    public init(_ text: String) throws(DomainError) {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard Self.length.contains(trimmed.count) else {
            throw DomainError(
                field: Self.fieldName,
                "must say why, in \(Self.length.lowerBound) to \(Self.length.upperBound) characters"
            )
        }
        self.text = text
    }
}
