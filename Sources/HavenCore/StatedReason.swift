import Foundation

/// The one rule for a reason a reviewer must understand on its own (a risk override, a correction):
/// a token answer ("ok", "wrong") is refused, so at least 20 characters once surrounding whitespace is
/// trimmed, and at most 1000 — like a break-glass reason. The text is clinical (sealed where it is
/// stored) and never appears in an error.
enum StatedReason {
    /// The accepted length in characters, after trimming whitespace and newlines at both ends.
    static let length: ClosedRange<Int> = 20...1_000

    /// Accepts `text` when its trimmed length is within `length`.
    ///
    /// - Throws: `DomainError` naming `field` and the accepted length.
    static func check(_ text: String, field: String) throws(DomainError) {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard length.contains(trimmed.count) else {
            throw DomainError(field: field, "must say why, in \(length.lowerBound) to \(length.upperBound) characters")
        }
    }
}
