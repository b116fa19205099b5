import Foundation
import Postgres

/// The JSON forms of list entries, one per kind, shared by the CLI's `--json` and the HTTP API:
/// camelCase keys with `Id` suffixes, ids as lowercase UUIDs, dates as ISO 8601 days, instants in
/// the encoder's date strategy. No clinical text: lists carry none.
extension ChartService.CoupleSummary: Codable {
    enum CodingKeys: String, CodingKey {
        case id, partnerA, partnerB, status, counselorId, startDate, stage, step, highRisk, lastSession, nextSession
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id.lowercased, forKey: .id)
        try container.encode(partnerA, forKey: .partnerA)
        try container.encode(partnerB, forKey: .partnerB)
        try container.encode(status, forKey: .status)
        try container.encode(counselorID.lowercased, forKey: .counselorId)
        try container.encode(startDate.description, forKey: .startDate)
        try container.encodeIfPresent(stage, forKey: .stage)
        try container.encodeIfPresent(step, forKey: .step)
        try container.encode(highRisk, forKey: .highRisk)
        try container.encodeIfPresent(lastSession, forKey: .lastSession)
        try container.encodeIfPresent(nextSession, forKey: .nextSession)
    }

    /// Reads the same form back (the CLI decodes what the API sends).
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        func id(_ key: CodingKeys) throws -> UUID {
            guard let id = UUID(uuidString: try container.decode(String.self, forKey: key)) else {
                throw DecodingError.dataCorruptedError(forKey: key, in: container, debugDescription: "not a UUID")
            }
            return id
        }
        let start = try container.decode(String.self, forKey: .startDate)
        guard let startDate = CalendarDate(iso8601: start) else {
            throw DecodingError.dataCorruptedError(forKey: .startDate, in: container, debugDescription: "not a day")
        }
        self.init(
            id: try id(.id),
            partnerA: try container.decode(String.self, forKey: .partnerA),
            partnerB: try container.decode(String.self, forKey: .partnerB),
            status: try container.decode(String.self, forKey: .status),
            counselorID: try id(.counselorId),
            startDate: startDate,
            stage: try container.decodeIfPresent(Int.self, forKey: .stage),
            step: try container.decodeIfPresent(Int.self, forKey: .step),
            highRisk: try container.decode(Bool.self, forKey: .highRisk),
            lastSession: try container.decodeIfPresent(Date.self, forKey: .lastSession),
            nextSession: try container.decodeIfPresent(Date.self, forKey: .nextSession)
        )
    }
}

extension NoteService.Listing: Encodable {
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
}

extension SessionService.Listing: Encodable {
    enum CodingKeys: String, CodingKey {
        case id, chartKind, chartId, counselorId, start, durationMinutes, format, status, noted
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id.lowercased, forKey: .id)
        try container.encode(chart.kind, forKey: .chartKind)
        try container.encode(chart.id.lowercased, forKey: .chartId)
        try container.encode(counselorID.lowercased, forKey: .counselorId)
        try container.encode(start, forKey: .start)
        try container.encode(durationMinutes, forKey: .durationMinutes)
        try container.encode(format, forKey: .format)
        try container.encode(status, forKey: .status)
        try container.encode(noted, forKey: .noted)
    }
}

extension UUID {
    /// The lowercase text form every JSON view and sealed context uses.
    var lowercased: String { uuidString.lowercased() }
}

extension NoteService.Addendum: Encodable {
    enum CodingKeys: String, CodingKey { case id, authorId, createdAt, reason, text }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id.lowercased, forKey: .id)
        try container.encode(authorID.lowercased, forKey: .authorId)
        try container.encode(createdAt, forKey: .createdAt)
        try container.encode(reason, forKey: .reason)
        try container.encode(text, forKey: .text)
    }
}
