/// The Couples Satisfaction Index (Funk & Rogge, 2007; free for clinical use): scoring and
/// interpretation. Item text is not stored or shipped: only item numbers and responses.
public enum CouplesSatisfactionIndex: String, Sendable, CaseIterable, Codable {
    case csi4 = "CSI-4"
    case csi16 = "CSI-16"
    case csi32 = "CSI-32"

    /// How many items the form has.
    public var itemCount: Int {
        switch self {
        case .csi4: 4
        case .csi16: 16
        case .csi32: 32
        }
    }

    /// The response range of item `index` (0-based): item 1 is scored 0–6, every other item 0–5.
    public func range(ofItem index: Int) -> ClosedRange<Int> {
        index == 0 ? 0...6 : 0...5
    }

    /// The highest possible total (21, 81, 161).
    public var maximum: Int { 6 + (itemCount - 1) * 5 }

    /// Totals below this indicate notable relationship dissatisfaction (13.5, 51.5, 104.5).
    public var distressCutoff: Double {
        switch self {
        case .csi4: 13.5
        case .csi16: 51.5
        case .csi32: 104.5
        }
    }

    /// Scores a set of responses.
    ///
    /// - Throws: `DomainError` on `items` for a wrong count, or on `items[n]` (1-based) for a
    ///   response outside that item's range.
    public func score(_ items: [Int]) throws -> CSIScore {
        guard items.count == itemCount else {
            throw DomainError(field: "items", "\(rawValue) has \(itemCount) items (got \(items.count))")
        }
        for (index, response) in items.enumerated() where !range(ofItem: index).contains(response) {
            let allowed = range(ofItem: index)
            throw DomainError(
                field: "items[\(index + 1)]",
                "item \(index + 1) is scored \(allowed.lowerBound)–\(allowed.upperBound)"
            )
        }
        return CSIScore(form: self, total: items.reduce(0, +))
    }
}

/// A scored CSI administration.
public struct CSIScore: Sendable, Equatable, Codable {
    public let form: CouplesSatisfactionIndex
    public let total: Int

    /// Whether the total falls below the form's distress cut-off.
    public var indicatesDistress: Bool { Double(total) < form.distressCutoff }

    /// A plain-language reading for reports.
    public var interpretation: String {
        indicatesDistress
            ? "below the \(form.rawValue) cut-off of \(form.distressCutoff): notable relationship dissatisfaction"
            : "at or above the \(form.rawValue) cut-off of \(form.distressCutoff): not in the distressed range"
    }
}
