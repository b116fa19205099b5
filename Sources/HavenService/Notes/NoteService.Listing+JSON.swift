import Foundation

/// A note list line's JSON form, shared by the CLI's `--json` and the HTTP API (the CLI decodes what the API
/// sends): camelCase keys with `Id` suffixes, ids as lowercase UUIDs, dates as ISO 8601 days,
/// instants in the encoder's date strategy. No clinical text: lists carry none.
extension NoteService.Listing: Codable {
    enum CodingKeys: String, CodingKey {
        case id, sessionId, sessionStart, authorId, stage, step, riskLevel, state, version, addenda, cosigned
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id.lowercased, forKey: .id)
        try container.encode(sessionID.lowercased, forKey: .sessionId)
        try container.encode(sessionStart, forKey: .sessionStart)
        try container.encode(authorID.lowercased, forKey: .authorId)
        try container.encode(stage, forKey: .stage)
        try container.encode(step, forKey: .step)
        try container.encode(riskLevel, forKey: .riskLevel)
        try container.encode(signed ? "signed" : "draft", forKey: .state)
        try container.encode(version, forKey: .version)
        try container.encode(addenda, forKey: .addenda)
        try container.encode(cosigned, forKey: .cosigned)
    }

    /// Reads the same form back (the CLI decodes what the API sends).
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let state = try container.decode(String.self, forKey: .state)
        guard state == "signed" || state == "draft" else {
            throw DecodingError.dataCorruptedError(forKey: .state, in: container, debugDescription: "not a state")
        }
        self.init(
            id: try container.decodeUUID(forKey: .id),
            sessionID: try container.decodeUUID(forKey: .sessionId),
            sessionStart: try container.decode(Date.self, forKey: .sessionStart),
            authorID: try container.decodeUUID(forKey: .authorId),
            stage: try container.decode(Int.self, forKey: .stage),
            step: try container.decode(Int.self, forKey: .step),
            riskLevel: try container.decodeIfPresent(String.self, forKey: .riskLevel),
            signed: state == "signed",
            version: try container.decode(Int.self, forKey: .version),
            addenda: try container.decode(Int.self, forKey: .addenda),
            cosigned: try container.decode(Bool.self, forKey: .cosigned)
        )
    }
}

/// An addendum's JSON form (it carries the addendum's text: only where the reader may see it).
extension NoteService.Addendum: Codable {
    enum CodingKeys: String, CodingKey { case id, authorId, authorName, createdAt, reason, text }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id.lowercased, forKey: .id)
        try container.encode(authorID.lowercased, forKey: .authorId)
        try container.encode(authorName, forKey: .authorName)
        try container.encode(createdAt, forKey: .createdAt)
        try container.encode(reason, forKey: .reason)
        try container.encode(text, forKey: .text)
    }
    /// Reads the same form back (the CLI decodes what the API sends).
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            id: try container.decodeUUID(forKey: .id),
            authorID: try container.decodeUUID(forKey: .authorId),
            authorName: try container.decodeIfPresent(String.self, forKey: .authorName) ?? "",
            createdAt: try container.decode(Date.self, forKey: .createdAt),
            reason: try container.decode(String.self, forKey: .reason),
            text: try container.decode(String.self, forKey: .text)
        )
    }
}
