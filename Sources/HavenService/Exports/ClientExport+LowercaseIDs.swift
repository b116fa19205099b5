import Foundation

// A records request's ids are lowercase UUID text, as every id Haven shows (docs/cli.md, "Export");
// Foundation encodes a UUID in uppercase. These wrappers encode the export's ids in lowercase and
// read either case back; the export's types keep plain `UUID` properties and initialisers.

extension ClientExport {
    /// An id, encoded as lowercase UUID text.
    @propertyWrapper
    public struct LowercaseID: Codable, Sendable, Hashable {
        public var wrappedValue: UUID

        public init(wrappedValue: UUID) {
            self.wrappedValue = wrappedValue
        }

        public init(from decoder: any Decoder) throws {
            wrappedValue = try decoder.singleValueContainer().decode(UUID.self)
        }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.singleValueContainer()
            try container.encode(wrappedValue.uuidString.lowercased())
        }
    }

    /// An optional id, encoded as lowercase UUID text; absent when nil, as a plain optional is.
    @propertyWrapper
    public struct LowercaseOptionalID: Codable, Sendable, Hashable {
        public var wrappedValue: UUID?

        public init(wrappedValue: UUID?) {
            self.wrappedValue = wrappedValue
        }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            wrappedValue = container.decodeNil() ? nil : try container.decode(UUID.self)
        }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.singleValueContainer()
            try container.encode(wrappedValue?.uuidString.lowercased())
        }
    }

    /// A list of ids, each encoded as lowercase UUID text.
    @propertyWrapper
    public struct LowercaseIDs: Codable, Sendable, Hashable {
        public var wrappedValue: [UUID]

        public init(wrappedValue: [UUID]) {
            self.wrappedValue = wrappedValue
        }

        public init(from decoder: any Decoder) throws {
            wrappedValue = try decoder.singleValueContainer().decode([UUID].self)
        }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.singleValueContainer()
            try container.encode(wrappedValue.map { $0.uuidString.lowercased() })
        }
    }
}

extension KeyedEncodingContainer {
    /// Leaves a nil optional id out, as the synthesised encoding of a plain optional does.
    mutating func encode(_ value: ClientExport.LowercaseOptionalID, forKey key: Key) throws {
        try encodeIfPresent(value.wrappedValue?.uuidString.lowercased(), forKey: key)
    }
}

extension KeyedDecodingContainer {
    /// Reads an absent optional id as nil, as the synthesised decoding of a plain optional does.
    func decode(
        _ type: ClientExport.LowercaseOptionalID.Type,
        forKey key: Key
    ) throws -> ClientExport.LowercaseOptionalID {
        try decodeIfPresent(type, forKey: key) ?? ClientExport.LowercaseOptionalID(wrappedValue: nil)
    }
}
