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
        let start = try container.decode(String.self, forKey: .startDate)
        guard let startDate = CalendarDate(iso8601: start) else {
            throw DecodingError.dataCorruptedError(forKey: .startDate, in: container, debugDescription: "not a day")
        }
        self.init(
            id: try container.decodeUUID(forKey: .id),
            partnerA: try container.decode(String.self, forKey: .partnerA),
            partnerB: try container.decode(String.self, forKey: .partnerB),
            status: try container.decode(String.self, forKey: .status),
            counselorID: try container.decodeUUID(forKey: .counselorId),
            startDate: startDate,
            stage: try container.decodeIfPresent(Int.self, forKey: .stage),
            step: try container.decodeIfPresent(Int.self, forKey: .step),
            highRisk: try container.decode(Bool.self, forKey: .highRisk),
            lastSession: try container.decodeIfPresent(Date.self, forKey: .lastSession),
            nextSession: try container.decodeIfPresent(Date.self, forKey: .nextSession)
        )
    }
}

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
            riskLevel: try container.decode(String.self, forKey: .riskLevel),
            signed: state == "signed",
            version: try container.decode(Int.self, forKey: .version),
            addenda: try container.decode(Int.self, forKey: .addenda),
            cosigned: try container.decode(Bool.self, forKey: .cosigned)
        )
    }
}

extension SessionService.Listing: Codable {
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

    /// Reads the same form back (the CLI decodes what the API sends).
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let chartID = try container.decodeUUID(forKey: .chartId)
        let chart: ChartReference
        switch try container.decode(String.self, forKey: .chartKind) {
        case "couple": chart = .couple(chartID)
        case "client": chart = .client(chartID)
        default:
            throw DecodingError.dataCorruptedError(forKey: .chartKind, in: container, debugDescription: "not a kind")
        }
        self.init(
            id: try container.decodeUUID(forKey: .id),
            chart: chart,
            counselorID: try container.decodeUUID(forKey: .counselorId),
            start: try container.decode(Date.self, forKey: .start),
            durationMinutes: try container.decode(Int.self, forKey: .durationMinutes),
            format: try container.decode(String.self, forKey: .format),
            status: try container.decode(String.self, forKey: .status),
            noted: try container.decode(Bool.self, forKey: .noted)
        )
    }
}

extension UUID {
    /// The lowercase text form every JSON view and sealed context uses.
    var lowercased: String { uuidString.lowercased() }
}

extension NoteService.Addendum: Codable {
    enum CodingKeys: String, CodingKey { case id, authorId, createdAt, reason, text }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id.lowercased, forKey: .id)
        try container.encode(authorID.lowercased, forKey: .authorId)
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
            createdAt: try container.decode(Date.self, forKey: .createdAt),
            reason: try container.decode(String.self, forKey: .reason),
            text: try container.decode(String.self, forKey: .text)
        )
    }
}

extension KeyedDecodingContainer {
    /// A lowercase (or any case) UUID text value, as every JSON view writes ids.
    fileprivate func decodeUUID(forKey key: Key) throws -> UUID {
        guard let id = UUID(uuidString: try decode(String.self, forKey: key)) else {
            throw DecodingError.dataCorruptedError(forKey: key, in: self, debugDescription: "not a UUID")
        }
        return id
    }
}
