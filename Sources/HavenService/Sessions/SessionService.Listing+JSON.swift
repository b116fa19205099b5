import Foundation

/// A session list line's JSON form, shared by the CLI's `--json` and the HTTP API (the CLI decodes what the API
/// sends): camelCase keys with `Id` suffixes, ids as lowercase UUIDs, dates as ISO 8601 days,
/// instants in the encoder's date strategy. No clinical text: lists carry none (names, times,
/// status and the counselor are what the calendar shows).
extension SessionService.Listing: Codable {
    enum CodingKeys: String, CodingKey {
        case id, chartKind, chartId, chartName, counselorId, start, durationMinutes, format, sessionType, serviceCode,
            status, noted, names, counselorName
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id.lowercased, forKey: .id)
        try container.encode(chart.kind, forKey: .chartKind)
        try container.encode(chart.id.lowercased, forKey: .chartId)
        try container.encode(chartName, forKey: .chartName)
        try container.encode(counselorID.lowercased, forKey: .counselorId)
        try container.encode(start, forKey: .start)
        try container.encode(durationMinutes, forKey: .durationMinutes)
        try container.encode(format, forKey: .format)
        try container.encode(sessionType, forKey: .sessionType)
        try container.encode(serviceCode, forKey: .serviceCode)
        try container.encode(status, forKey: .status)
        try container.encode(noted, forKey: .noted)
        try container.encode(names, forKey: .names)
        try container.encodeIfPresent(counselorName, forKey: .counselorName)
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
            sessionType: try container.decode(String.self, forKey: .sessionType),
            serviceCode: try container.decodeIfPresent(String.self, forKey: .serviceCode),
            status: try container.decode(String.self, forKey: .status),
            noted: try container.decode(Bool.self, forKey: .noted),
            names: try container.decodeIfPresent([String].self, forKey: .names) ?? [],
            counselorName: try container.decodeIfPresent(String.self, forKey: .counselorName)
        )
    }
}
