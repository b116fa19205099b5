import Foundation

/// The code a session is billed under: a CPT or HCPCS code of five letters or digits (90847, G0176),
/// optionally followed by up to two two-character modifiers (90837-95). Stored uppercase; the
/// database's `therapy_sessions_service_code` CHECK holds the same shape.
public struct ServiceCode: Sendable, Equatable, Hashable {
    /// The field an error names, as the services and the HTTP API call it.
    public static let fieldName = "serviceCode"

    /// The code, uppercase.
    public let code: String

    /// Accepts `text` (surrounding whitespace trimmed, letters uppercased) when it has the shape above.
    ///
    /// - Throws: `DomainError` naming `serviceCode` (the typed text is not echoed).
    public init(_ text: String) throws(DomainError) {
        let code = text.trimmingCharacters(in: .whitespaces).uppercased()
        guard code.wholeMatch(of: /[0-9A-Z]{5}(-[0-9A-Z]{2}){0,2}/) != nil else {
            throw DomainError(
                field: Self.fieldName,
                "must be a five-character CPT or HCPCS code such as 90847, optionally with modifiers such as 90837-95"
            )
        }
        self.code = code
    }
}
