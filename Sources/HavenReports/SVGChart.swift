import Foundation
import HavenCore

/// A small SVG renderer for the report's charts: line series on a date axis with an optional
/// cut-off line and shaded distress band, a step chart of the EFT steps with the stages named and
/// change events numbered, and horizontal bars. Output is deterministic (fixed decimals, input
/// order) and accessible (a title and description the chart is labelled by; the data table beside
/// it carries the numbers).
///
/// Layout is planned, not hoped for: value ticks are 1, 2 or 5 × 10ⁿ apart, date ticks fall on
/// whole days, weeks (Mondays), months or years, and every label is placed with `textWidth` so that
/// none leaves the view box or touches another (the tests check both on 1, 2 and hundreds of points).
enum SVGChart {
    static let width = 640.0
    static let fontSize = 11.0
    static let palette = ["#1f5f8b", "#b5523b", "#3c7d4a", "#7a4f9a"]

    /// A label's width as laid out: 0.6 em a character, a little wider than Helvetica or Arial set
    /// it, so labels placed apart by this never touch.
    static func textWidth(_ text: String, size: Double = fontSize) -> Double { Double(text.count) * size * 0.6 }

    struct Series {
        var name: String
        /// ISO dates and values.
        var points: [(date: String, value: Double)]
    }

    /// The plot area of a chart, in view-box units.
    struct Frame {
        var left: Double
        var top: Double
        var right: Double
        var bottom: Double
        var xRange: ClosedRange<Int>
        var yRange: ClosedRange<Double>

        func x(_ day: Int) -> Double {
            left + (right - left) * Double(day - xRange.lowerBound) / Double(xRange.upperBound - xRange.lowerBound)
        }

        func y(_ value: Double) -> Double {
            let clamped = min(yRange.upperBound, max(yRange.lowerBound, value))
            return bottom - (bottom - top) * (clamped - yRange.lowerBound) / (yRange.upperBound - yRange.lowerBound)
        }
    }

    /// Lines over time. The value axis runs from 0 (or the lowest value, when negative) to a tick
    /// at or above the highest value and the cut-off. `distressBelow`: the band under the cut-off is
    /// shaded (else above it).
    static func lines(
        id: String,
        title: String,
        description: String,
        series: [Series],
        cutoff: Double?,
        distressBelow: Bool
    ) -> String {
        let values = series.flatMap { $0.points.map(\.value) } + (cutoff.map { [$0] } ?? [])
        let ticks = niceTicks(lower: min(0, values.min() ?? 0), upper: max(values.max() ?? 1, 1))
        let tickLabels = ticks.map(number)
        let left = max(36, (tickLabels.map { textWidth($0) }.max() ?? 0) + 12)
        let frame = Frame(
            left: left,
            top: 20,
            right: width - 16,
            bottom: 208,
            xRange: dayRange(series.flatMap { $0.points.map { day($0.date) } }),
            yRange: ticks.first!...ticks.last!
        )
        var body: [String] = []
        if let cutoff {
            let y = frame.y(cutoff)
            let bandTop = distressBelow ? y : frame.top
            let bandHeight = distressBelow ? frame.bottom - y : y - frame.top
            body.append(
                "<rect class=\"band\" x=\"\(f(frame.left))\" y=\"\(f(bandTop))\" width=\"\(f(frame.right - frame.left))\" "
                    + "height=\"\(f(max(0, bandHeight)))\" fill=\"#f3d9d2\"/>"
            )
            body.append(
                "<line class=\"cutoff\" x1=\"\(f(frame.left))\" y1=\"\(f(y))\" x2=\"\(f(frame.right))\" y2=\"\(f(y))\" "
                    + "stroke=\"#b5523b\" stroke-dasharray=\"6 4\"/>"
            )
        }
        body += valueAxis(frame, ticks: ticks)
        body += dateAxis(frame)
        for (index, entry) in series.enumerated() {
            let color = palette[index % palette.count]
            let coordinates = entry.points.map { (x: frame.x(day($0.date)), y: frame.y($0.value)) }
            if coordinates.count > 1 {
                let path = coordinates.map { "\(f($0.x)),\(f($0.y))" }.joined(separator: " ")
                body.append("<polyline fill=\"none\" stroke=\"\(color)\" stroke-width=\"2\" points=\"\(path)\"/>")
            }
            // Dots mark each score while they stay apart; past 60 a series is read as its line.
            for point in coordinates where coordinates.count <= 60 {
                body.append(
                    "<circle cx=\"\(f(point.x))\" cy=\"\(f(point.y))\" r=\"\(coordinates.count > 20 ? "2.5" : "3.5")\" "
                        + "fill=\"\(color)\"/>"
                )
            }
        }
        if let cutoff {
            // Drawn last, on a white halo, so the data never hides it.
            let y = frame.y(cutoff)
            body.append(
                text(
                    "cut-off \(number(cutoff))",
                    x: frame.right - 2,
                    y: y - 4,
                    anchor: "end",
                    fill: "#8a3a28",
                    halo: true
                )
            )
        }
        let (legend, bottom) = legend(series.map(\.name), left: frame.left, top: frame.bottom + 28)
        body += legend
        return svg(id: id, title: title, description: description, body: body, height: bottom + 6)
    }

    /// Steps 1–9 over time as a step line, every step labelled, the three stages shaded and named
    /// beside the plot, and change events marked by numbered lines with a key below the chart.
    static func steps(
        id: String,
        title: String,
        description: String,
        points: [(date: String, step: Int)],
        events: [(date: String, label: String)],
        stageNames: [String]
    ) -> String {
        let bandWidth = (stageNames.map { textWidth($0) }.max() ?? 0) + 16
        let frame = Frame(
            left: 40,
            top: 20,
            right: width - bandWidth,
            bottom: 208,
            xRange: dayRange(points.map { day($0.date) } + events.map { day($0.date) }),
            yRange: 0.5...9.5
        )
        var body: [String] = []
        for (index, range) in [0.5...4.5, 4.5...7.5, 7.5...9.5].enumerated() {
            let y1 = frame.y(range.upperBound)
            let y2 = frame.y(range.lowerBound)
            body.append(
                "<rect class=\"stage\" x=\"\(f(frame.left))\" y=\"\(f(y1))\" width=\"\(f(frame.right - frame.left))\" "
                    + "height=\"\(f(y2 - y1))\" fill=\"\(index % 2 == 1 ? "#eef3f7" : "#f8f8f8")\"/>"
            )
            if index < stageNames.count {
                body.append(
                    text(stageNames[index], x: frame.right + 8, y: (y1 + y2) / 2 + 4, fill: "#555", role: "stage")
                )
            }
        }
        body += valueAxis(frame, ticks: (1...9).map(Double.init))
        body.append(text("Step", x: frame.left - 6, y: frame.top - 6, anchor: "end", fill: "#555"))
        body += dateAxis(frame)
        var path: [String] = []
        for (index, point) in points.enumerated() {
            let x = frame.x(day(point.date))
            if index > 0 { path.append("\(f(x)),\(f(frame.y(Double(points[index - 1].step))))") }
            path.append("\(f(x)),\(f(frame.y(Double(point.step))))")
        }
        if path.count > 1 {
            body.append(
                "<polyline fill=\"none\" stroke=\"\(palette[0])\" stroke-width=\"2\" points=\"\(path.joined(separator: " "))\"/>"
            )
        }
        for point in points where points.count <= 60 {
            body.append(
                "<circle cx=\"\(f(frame.x(day(point.date))))\" cy=\"\(f(frame.y(Double(point.step))))\" r=\"3\" "
                    + "fill=\"\(palette[0])\"/>"
            )
        }
        // Event numbers sit at the top of their line, moved down a row while they would touch one
        // already placed; the key below the axis says what each number is.
        var placed: [(x0: Double, x1: Double, y: Double)] = []
        for (index, event) in events.enumerated() {
            let x = frame.x(day(event.date))
            let label = "\(index + 1)"
            let labelWidth = textWidth(label)
            let x0 = x + 3 + labelWidth <= frame.right ? x + 3 : x - 3 - labelWidth
            var y = frame.top + 12
            while placed.contains(where: { $0.y == y && $0.x0 < x0 + labelWidth + 2 && x0 < $0.x1 + 2 }) { y += 13 }
            placed.append((x0, x0 + labelWidth, y))
            body.append(
                "<line class=\"event\" x1=\"\(f(x))\" y1=\"\(f(frame.top))\" x2=\"\(f(x))\" y2=\"\(f(frame.bottom))\" "
                    + "stroke=\"#b5523b\" stroke-width=\"1.5\"/>"
            )
            body.append(text(label, x: x0, y: y, fill: "#8a3a28", weight: "bold", role: "event"))
        }
        var bottom = frame.bottom + 22
        for (index, event) in events.enumerated() {
            bottom += 15
            body.append(text("\(index + 1)  \(event.date)  \(event.label)", x: frame.left, y: bottom, fill: "#8a3a28"))
        }
        return svg(id: id, title: title, description: description, body: body, height: bottom + 8)
    }

    /// Horizontal bars of rates 0–1; the label column is as wide as the longest label (a label past
    /// 30 characters is shortened with an ellipsis; the table beside the chart has it whole).
    static func bars(id: String, title: String, description: String, bars: [(label: String, rate: Double)]) -> String {
        let rowHeight = 28.0
        let top = 8.0
        let labels = bars.map { $0.label.count > 30 ? String($0.label.prefix(29)) + "…" : $0.label }
        let labelWidth = max(60, (labels.map { textWidth($0, size: 12) }.max() ?? 0) + 16)
        let barWidth = width - labelWidth - 16 - 48
        var body: [String] = []
        for (index, bar) in bars.enumerated() {
            let y = top + Double(index) * rowHeight
            body.append(text(labels[index], x: labelWidth - 8, y: y + 17, anchor: "end", size: 12))
            body.append(
                "<rect x=\"\(f(labelWidth))\" y=\"\(f(y + 4))\" width=\"\(f(barWidth))\" height=\"18\" fill=\"#eef3f7\"/>"
            )
            body.append(
                "<rect x=\"\(f(labelWidth))\" y=\"\(f(y + 4))\" width=\"\(f(barWidth * min(1, max(0, bar.rate))))\" "
                    + "height=\"18\" fill=\"\(palette[index % palette.count])\"/>"
            )
            body.append(text(percent(bar.rate), x: labelWidth + barWidth + 6, y: y + 17, size: 12))
        }
        return svg(
            id: id,
            title: title,
            description: description,
            body: body,
            height: top + Double(bars.count) * rowHeight + 8
        )
    }

    // MARK: - Scales

    /// Evenly spaced ticks 1, 2 or 5 × 10ⁿ apart covering `lower`...`upper` in at most
    /// `maxIntervals` steps, from a multiple of the step at or below `lower` to one at or above `upper`.
    static func niceTicks(lower: Double, upper: Double, maxIntervals: Int = 6) -> [Double] {
        let span = max(upper - lower, 1)
        let rough = span / Double(maxIntervals)
        let magnitude = pow(10, floor(log10(rough)))
        let step = [1.0, 2, 5, 10].map { $0 * magnitude }.first { $0 >= rough * (1 - 1e-9) } ?? 10 * magnitude
        let first = (lower / step + 1e-9).rounded(.down)
        let last = (upper / step - 1e-9).rounded(.up)
        let decimals = max(0, -Int(floor(log10(step))))
        let scale = pow(10, Double(decimals))
        return stride(from: first, through: max(last, first + 1), by: 1).map { ($0 * step * scale).rounded() / scale }
    }

    /// The days shown: the data's first to last day, with a margin so no point sits on an axis; a
    /// single day is centred in a week.
    static func dayRange(_ days: [Int]) -> ClosedRange<Int> {
        let low = days.min() ?? 0
        let high = days.max() ?? low
        let pad = max(3, (high - low) / 30)
        return (low - pad)...(high + pad)
    }

    /// Date ticks at the finest interval of 1 or 2 days, 1 or 2 weeks (Mondays), 1, 2, 3 or 6
    /// months (the 1st) or 1, 2, 5 or 10 years (1 January) whose labels fit side by side.
    static func dateTicks(_ range: ClosedRange<Int>, plotWidth: Double) -> [(day: Int, label: String)] {
        let perDay = plotWidth / Double(range.upperBound - range.lowerBound)
        let fullDate = textWidth("2026-09-29") + 10
        for days in [1, 2, 7, 14] where Double(days) * perDay >= fullDate {
            // 1970-01-05 (day 4) was a Monday.
            let anchor = days >= 7 ? 4 : 0
            return range.filter { (($0 - anchor) % days + days) % days == 0 }.map {
                ($0, CalendarDate(daysSince1970: $0).description)
            }
        }
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        let first = CalendarDate(daysSince1970: range.lowerBound)
        let last = CalendarDate(daysSince1970: range.upperBound)
        func firsts(everyMonths step: Int) -> [CalendarDate] {
            var result: [CalendarDate] = []
            var (year, month) = (first.year, first.month)
            while year < last.year || (year == last.year && month <= last.month) {
                if (month - 1) % step == 0, step < 12 || year % (step / 12) == 0,
                    let date = CalendarDate(year: year, month: month, day: 1), range.contains(date.daysSince1970)
                {
                    result.append(date)
                }
                (year, month) = month == 12 ? (year + 1, 1) : (year, month + 1)
            }
            return result
        }
        for step in [1, 2, 3, 6] where 28 * Double(step) * perDay >= textWidth("Sep 2026") + 10 {
            return firsts(everyMonths: step).map { ($0.daysSince1970, "\(months[$0.month - 1]) \($0.year)") }
        }
        let years = [1, 2, 5, 10, 20, 50].first { 365 * Double($0) * perDay >= textWidth("2026") + 10 } ?? 100
        return firsts(everyMonths: 12 * years).map { ($0.daysSince1970, "\($0.year)") }
    }

    // MARK: - Parts

    private static func svg(id: String, title: String, description: String, body: [String], height: Double) -> String {
        ([
            "<svg xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" aria-labelledby=\"\(id)-title \(id)-desc\" "
                + "viewBox=\"0 0 \(f(width)) \(f(height))\" width=\"\(f(width))\" height=\"\(f(height))\" "
                + "font-family=\"Helvetica, Arial, sans-serif\">",
            "<title id=\"\(id)-title\">\(HTMLEscape.text(title))</title>",
            "<desc id=\"\(id)-desc\">\(HTMLEscape.text(description))</desc>",
        ]
            + body + ["</svg>"]).joined(separator: "\n")
    }

    static func text(
        _ content: String,
        x: Double,
        y: Double,
        anchor: String = "start",
        size: Double = fontSize,
        fill: String = "#1b1b1b",
        weight: String? = nil,
        role: String? = nil,
        halo: Bool = false
    ) -> String {
        "<text" + (role.map { " class=\"\($0)\"" } ?? "")
            + " x=\"\(f(x))\" y=\"\(f(y))\" text-anchor=\"\(anchor)\" font-size=\"\(number(size))\" fill=\"\(fill)\""
            + (weight.map { " font-weight=\"\($0)\"" } ?? "")
            + (halo ? " stroke=\"#ffffff\" stroke-width=\"3\" paint-order=\"stroke\"" : "")
            + ">\(HTMLEscape.text(content))</text>"
    }

    /// The value axis line and its tick labels with light grid lines.
    private static func valueAxis(_ frame: Frame, ticks: [Double]) -> [String] {
        var parts = [
            "<line x1=\"\(f(frame.left))\" y1=\"\(f(frame.top))\" x2=\"\(f(frame.left))\" y2=\"\(f(frame.bottom))\" "
                + "stroke=\"#333\"/>"
        ]
        for tick in ticks {
            let y = frame.y(tick)
            parts.append(
                "<line x1=\"\(f(frame.left - 3))\" y1=\"\(f(y))\" x2=\"\(f(frame.left))\" y2=\"\(f(y))\" stroke=\"#333\"/>"
            )
            parts.append(text(number(tick), x: frame.left - 6, y: y + 4, anchor: "end", role: "tick-y"))
        }
        return parts
    }

    /// The date axis line, its ticks, and their labels; a label that would leave the view box is
    /// moved in, and one that would then touch its neighbour is left out.
    private static func dateAxis(_ frame: Frame) -> [String] {
        var parts = [
            "<line x1=\"\(f(frame.left))\" y1=\"\(f(frame.bottom))\" x2=\"\(f(frame.right))\" y2=\"\(f(frame.bottom))\" "
                + "stroke=\"#333\"/>"
        ]
        var lastRight = -Double.infinity
        for tick in dateTicks(frame.xRange, plotWidth: frame.right - frame.left) {
            let x = frame.x(tick.day)
            let half = textWidth(tick.label) / 2
            let centre = min(width - half - 1, max(half + 1, x))
            guard centre - half > lastRight + 6 else { continue }
            lastRight = centre + half
            parts.append(
                "<line x1=\"\(f(x))\" y1=\"\(f(frame.bottom))\" x2=\"\(f(x))\" y2=\"\(f(frame.bottom + 4))\" stroke=\"#333\"/>"
            )
            parts.append(text(tick.label, x: centre, y: frame.bottom + 16, anchor: "middle", role: "tick-x"))
        }
        return parts
    }

    /// Legend entries side by side, wrapping to a new row when the next would leave the view box.
    private static func legend(_ names: [String], left: Double, top: Double) -> ([String], bottom: Double) {
        var parts: [String] = []
        var (x, y) = (left, top)
        for (index, name) in names.enumerated() {
            let entryWidth = 14 + textWidth(name)
            if x > left, x + entryWidth > width - 8 { (x, y) = (left, y + 16) }
            parts.append(
                "<rect x=\"\(f(x))\" y=\"\(f(y - 9))\" width=\"10\" height=\"10\" fill=\"\(palette[index % palette.count])\"/>"
            )
            parts.append(text(name, x: x + 14, y: y))
            x += entryWidth + 24
        }
        return (parts, names.isEmpty ? top - 16 : y)
    }

    private static func day(_ iso: String) -> Int { CalendarDate(iso8601: iso)?.daysSince1970 ?? 0 }

    /// Fixed one-decimal coordinates: deterministic bytes. The C library's `%.1f` (what Foundation's
    /// `String(format:)` ends in, without its string-format machinery: a 200-session step chart
    /// prints thousands of coordinates).
    static func f(_ value: Double) -> String {
        withUnsafeTemporaryAllocation(of: CChar.self, capacity: 64) { buffer in
            let count = withVaList([value]) { vsnprintf(buffer.baseAddress!, buffer.count, "%.1f", $0) }
            return String(
                decoding: UnsafeRawBufferPointer(start: buffer.baseAddress!, count: Int(min(max(count, 0), 63))),
                as: UTF8.self
            )
        }
    }
}
