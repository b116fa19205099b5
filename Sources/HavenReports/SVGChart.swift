import Foundation
import HavenCore

/// A small SVG renderer for the report's charts: line series on a date axis with an optional
/// cut-off line and shaded distress band, a step chart with marked events, and horizontal bars.
/// Output is deterministic (fixed decimals, input order) and accessible (a title and description
/// the chart is labelled by; the data table beside it carries the numbers).
enum SVGChart {
    static let width = 640.0
    static let height = 240.0
    static let left = 48.0
    static let right = 16.0
    static let top = 16.0
    static let bottom = 36.0
    static let palette = ["#1f5f8b", "#b5523b", "#3c7d4a", "#7a4f9a"]

    struct Series {
        var name: String
        /// ISO dates and values.
        var points: [(date: String, value: Double)]
    }

    /// Lines over time. `distressBelow`: the band under the cut-off is shaded (else above it).
    static func lines(
        id: String,
        title: String,
        description: String,
        series: [Series],
        yRange: ClosedRange<Double>,
        cutoff: Double?,
        distressBelow: Bool
    ) -> String {
        let days = series.flatMap { $0.points.map { day($0.date) } }
        let xRange = (days.min() ?? 0)...(max((days.max() ?? 1), (days.min() ?? 0) + 1))
        var body: [String] = []
        if let cutoff {
            let y = yPosition(cutoff, yRange)
            let bandTop = distressBelow ? y : top
            let bandHeight = distressBelow ? (height - bottom) - y : y - top
            body.append(
                "<rect class=\"band\" x=\"\(f(left))\" y=\"\(f(bandTop))\" width=\"\(f(width - left - right))\" "
                    + "height=\"\(f(max(0, bandHeight)))\" fill=\"#f3d9d2\"/>"
            )
            body.append(
                "<line class=\"cutoff\" x1=\"\(f(left))\" y1=\"\(f(y))\" x2=\"\(f(width - right))\" y2=\"\(f(y))\" "
                    + "stroke=\"#b5523b\" stroke-dasharray=\"6 4\"/>"
            )
            body.append(
                "<text x=\"\(f(width - right))\" y=\"\(f(y - 4))\" text-anchor=\"end\" font-size=\"11\" fill=\"#8a3a28\">"
                    + "cut-off \(number(cutoff))</text>"
            )
        }
        body += axes(yRange: yRange, xRange: xRange)
        for (index, entry) in series.enumerated() {
            let color = palette[index % palette.count]
            let coordinates = entry.points.map { (x: xPosition(day($0.date), xRange), y: yPosition($0.value, yRange)) }
            if coordinates.count > 1 {
                let path = coordinates.map { "\(f($0.x)),\(f($0.y))" }.joined(separator: " ")
                body.append("<polyline fill=\"none\" stroke=\"\(color)\" stroke-width=\"2\" points=\"\(path)\"/>")
            }
            for point in coordinates {
                body.append("<circle cx=\"\(f(point.x))\" cy=\"\(f(point.y))\" r=\"3.5\" fill=\"\(color)\"/>")
            }
        }
        body += legend(series.map(\.name))
        return svg(id: id, title: title, description: description, body: body)
    }

    /// Steps 1–9 over time as a step line, with events marked and named.
    static func steps(
        id: String,
        title: String,
        description: String,
        points: [(date: String, step: Int)],
        events: [(date: String, label: String)]
    ) -> String {
        let days = points.map { day($0.date) }
        let xRange = (days.min() ?? 0)...(max(days.max() ?? 1, (days.min() ?? 0) + 1))
        let yRange = 0.5...9.5
        var body = axes(yRange: yRange, xRange: xRange, yTicks: [1, 4, 5, 7, 8, 9])
        for (stage, range) in [(1, 0.5...4.5), (2, 4.5...7.5), (3, 7.5...9.5)] {
            let y1 = yPosition(range.upperBound, yRange)
            let y2 = yPosition(range.lowerBound, yRange)
            body.append(
                "<rect x=\"\(f(left))\" y=\"\(f(y1))\" width=\"\(f(width - left - right))\" height=\"\(f(y2 - y1))\" "
                    + "fill=\"\(stage % 2 == 0 ? "#eef3f7" : "#ffffff")\"/>"
            )
            body.append(
                "<text x=\"\(f(width - right - 4))\" y=\"\(f(y1 + 13))\" text-anchor=\"end\" font-size=\"11\" fill=\"#555\">"
                    + "stage \(stage)</text>"
            )
        }
        var path: [String] = []
        for (index, point) in points.enumerated() {
            let x = xPosition(day(point.date), xRange)
            let y = yPosition(Double(point.step), yRange)
            if index > 0 {
                let previous = yPosition(Double(points[index - 1].step), yRange)
                path.append("\(f(x)),\(f(previous))")
            }
            path.append("\(f(x)),\(f(y))")
        }
        if path.count > 1 {
            body.append(
                "<polyline fill=\"none\" stroke=\"\(palette[0])\" stroke-width=\"2\" points=\"\(path.joined(separator: " "))\"/>"
            )
        }
        for point in points {
            let x = xPosition(day(point.date), xRange)
            body.append(
                "<circle cx=\"\(f(x))\" cy=\"\(f(yPosition(Double(point.step), yRange)))\" r=\"3\" fill=\"\(palette[0])\"/>"
            )
        }
        for (index, event) in events.enumerated() {
            let x = xPosition(day(event.date), xRange)
            body.append(
                "<line x1=\"\(f(x))\" y1=\"\(f(top))\" x2=\"\(f(x))\" y2=\"\(f(height - bottom))\" stroke=\"#b5523b\" "
                    + "stroke-width=\"1.5\"/>"
            )
            body.append(
                "<text x=\"\(f(x + 3))\" y=\"\(f(top + 12 + Double(index % 3) * 13))\" font-size=\"11\" fill=\"#8a3a28\">"
                    + "\(escape(event.label))</text>"
            )
        }
        return svg(id: id, title: title, description: description, body: body)
    }

    /// Horizontal bars of rates 0–1.
    static func bars(id: String, title: String, description: String, bars: [(label: String, rate: Double)]) -> String {
        let rowHeight = 28.0
        let chartHeight = top + Double(bars.count) * rowHeight + 8
        let labelWidth = 150.0
        let barWidth = width - labelWidth - right - 48
        var body: [String] = []
        for (index, bar) in bars.enumerated() {
            let y = top + Double(index) * rowHeight
            body.append(
                "<text x=\"\(f(labelWidth - 8))\" y=\"\(f(y + 17))\" text-anchor=\"end\" font-size=\"12\">\(escape(bar.label))</text>"
            )
            body.append(
                "<rect x=\"\(f(labelWidth))\" y=\"\(f(y + 4))\" width=\"\(f(barWidth))\" height=\"18\" fill=\"#eef3f7\"/>"
            )
            body.append(
                "<rect x=\"\(f(labelWidth))\" y=\"\(f(y + 4))\" width=\"\(f(barWidth * min(1, max(0, bar.rate))))\" "
                    + "height=\"18\" fill=\"\(palette[index % palette.count])\"/>"
            )
            body.append(
                "<text x=\"\(f(labelWidth + barWidth + 6))\" y=\"\(f(y + 17))\" font-size=\"12\">\(percent(bar.rate))</text>"
            )
        }
        return svg(id: id, title: title, description: description, body: body, height: chartHeight)
    }

    // MARK: - Parts

    private static func svg(
        id: String,
        title: String,
        description: String,
        body: [String],
        height: Double = height
    )
        -> String
    {
        ([
            "<svg xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" aria-labelledby=\"\(id)-title \(id)-desc\" "
                + "viewBox=\"0 0 \(f(width)) \(f(height))\" width=\"\(f(width))\" height=\"\(f(height))\" "
                + "font-family=\"Helvetica, Arial, sans-serif\">",
            "<title id=\"\(id)-title\">\(escape(title))</title>",
            "<desc id=\"\(id)-desc\">\(escape(description))</desc>",
        ]
            + body + ["</svg>"]).joined(separator: "\n")
    }

    private static func axes(yRange: ClosedRange<Double>, xRange: ClosedRange<Int>, yTicks: [Double]? = nil) -> [String]
    {
        var parts = [
            "<line x1=\"\(f(left))\" y1=\"\(f(height - bottom))\" x2=\"\(f(width - right))\" y2=\"\(f(height - bottom))\" "
                + "stroke=\"#333\"/>",
            "<line x1=\"\(f(left))\" y1=\"\(f(top))\" x2=\"\(f(left))\" y2=\"\(f(height - bottom))\" stroke=\"#333\"/>",
        ]
        let ticks =
            yTicks ?? (0...4).map { yRange.lowerBound + (yRange.upperBound - yRange.lowerBound) * Double($0) / 4 }
        for tick in ticks {
            let y = yPosition(tick, yRange)
            parts.append(
                "<text x=\"\(f(left - 6))\" y=\"\(f(y + 4))\" text-anchor=\"end\" font-size=\"11\">\(number(tick))</text>"
            )
        }
        for (position, dayNumber) in [(left, xRange.lowerBound), (width - right, xRange.upperBound)] {
            parts.append(
                "<text x=\"\(f(position))\" y=\"\(f(height - bottom + 16))\" text-anchor=\"\(position == left ? "start" : "end")\" "
                    + "font-size=\"11\">\(CalendarDate(daysSince1970: dayNumber).description)</text>"
            )
        }
        return parts
    }

    private static func legend(_ names: [String]) -> [String] {
        names.enumerated().flatMap { index, name -> [String] in
            let x = left + Double(index) * 160
            let y = height - 6
            return [
                "<rect x=\"\(f(x))\" y=\"\(f(y - 9))\" width=\"10\" height=\"10\" fill=\"\(palette[index % palette.count])\"/>",
                "<text x=\"\(f(x + 14))\" y=\"\(f(y))\" font-size=\"11\">\(escape(name))</text>",
            ]
        }
    }

    private static func day(_ iso: String) -> Int { CalendarDate(iso8601: iso)?.daysSince1970 ?? 0 }

    private static func xPosition(_ day: Int, _ range: ClosedRange<Int>) -> Double {
        let span = Double(range.upperBound - range.lowerBound)
        return left + (width - left - right) * Double(day - range.lowerBound) / span
    }

    private static func yPosition(_ value: Double, _ range: ClosedRange<Double>) -> Double {
        let clamped = min(range.upperBound, max(range.lowerBound, value))
        let span = range.upperBound - range.lowerBound
        return (height - bottom) - (height - bottom - top) * (clamped - range.lowerBound) / span
    }

    /// Fixed one-decimal coordinates: deterministic bytes.
    static func f(_ value: Double) -> String { String(format: "%.1f", value) }

    static func escape(_ text: String) -> String {
        var out = ""
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(character)
            }
        }
        return out
    }
}
