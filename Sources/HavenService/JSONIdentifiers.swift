import Foundation

/// How every JSON view and sealed context writes ids, and reads them back.
extension UUID {
    /// The lowercase text form every JSON view and sealed context uses.
    var lowercased: String { uuidString.lowercased() }
}

extension KeyedDecodingContainer {
    /// A lowercase (or any case) UUID text value, as every JSON view writes ids.
    func decodeUUID(forKey key: Key) throws -> UUID {
        guard let id = UUID(uuidString: try decode(String.self, forKey: key)) else {
            throw DecodingError.dataCorruptedError(forKey: key, in: self, debugDescription: "not a UUID")
        }
        return id
    }
}
