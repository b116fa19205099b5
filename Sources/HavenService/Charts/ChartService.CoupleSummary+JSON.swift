import Foundation
import HavenCore

/// A caseload line's JSON form, shared by the CLI's `--json` and the HTTP API (the CLI decodes what the API
/// sends): camelCase keys with `Id` suffixes, ids as lowercase UUIDs, dates as ISO 8601 days,
/// instants in the encoder's date strategy. No clinical text: lists carry none.
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
