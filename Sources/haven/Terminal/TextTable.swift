import Foundation

/// A plain-text table with aligned columns, for human output.
struct TextTable {
    let header: [String]
    let rows: [[String]]

    /// The table as lines: header, then rows, columns separated by two spaces; each cell on its row's
    /// line (`terminalSafeLine`), whatever it holds.
    func render() -> String {
        let header = header.map(\.terminalSafeLine)
        let rows = rows.map { $0.map(\.terminalSafeLine) }
        var widths = header.map(\.count)
        for row in rows {
            for (index, cell) in row.enumerated() where index < widths.count {
                widths[index] = max(widths[index], cell.count)
            }
        }
        // Padded by characters, as the widths are counted (NSString's padding counts UTF-16 units and
        // would cut a cell with an emoji or a combining mark short).
        func padded(_ cell: String, _ width: Int) -> String {
            cell + String(repeating: " ", count: max(0, width - cell.count))
        }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { index, cell in
                index == cells.count - 1 ? cell : padded(cell, widths[index])
            }.joined(separator: "  ")
        }
        return ([line(header)] + rows.map(line)).joined(separator: "\n")
    }
}
