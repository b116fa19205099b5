/// A use case refused or failed; `description` is safe to show a user (no clinical data, no SQL)
/// and says what to do.
public struct ServiceError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The kind of problem.
    public enum Kind: String, Sendable {
        /// The input is invalid; `field` names the field.
        case invalidInput
        /// Wrong email or password, or an expired or revoked session.
        case unauthenticated
        /// The actor may not do this (denials are audited).
        case forbidden
        /// No such record (or not in the actor's reach: no existence oracle).
        case notFound
        /// A conflicting record exists or a stale version was given.
        case conflict
    }

    public var kind: Kind
    /// The input field at fault, for `invalidInput`.
    public var field: String?
    public var message: String

    public init(_ kind: Kind, field: String? = nil, _ message: String) {
        self.kind = kind
        self.field = field
        self.message = message
    }

    public var description: String { field.map { "\($0): \(message)" } ?? message }
}
