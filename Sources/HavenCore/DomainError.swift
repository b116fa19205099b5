/// A domain rule was broken. Names the field and says what is allowed; never carries clinical text.
public struct DomainError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The field at fault, as a caller names it (e.g. `step`, `items[2]`).
    public var field: String
    /// What is wrong and what is allowed.
    public var message: String

    public init(field: String, _ message: String) {
        self.field = field
        self.message = message
    }

    public var description: String { "\(field): \(message)" }
}
