extension String {
    /// The text with terminal control characters made harmless: C0 controls other than newline and
    /// tab, DEL and C1 controls each become U+FFFD. Text that reaches a terminal from the server (a
    /// colleague's note, a report, a problem's detail) then cannot move the cursor, erase the line
    /// that shows a risk level, or set the reader's clipboard (OSC 52).
    var terminalSafe: String {
        guard unicodeScalars.contains(where: Self.isControl) else { return self }
        return String(String.UnicodeScalarView(unicodeScalars.map { Self.isControl($0) ? "\u{FFFD}" : $0 }))
    }

    /// The text as one line of a table cell: `terminalSafe`, and line breaks (any of Unicode's) and tabs
    /// each become U+FFFD too, so a value read from the database (an audit entry's source, which the app
    /// role can choose) cannot end its row and print a line of its own.
    var terminalSafeLine: String {
        let unsafe = { (scalar: Unicode.Scalar) in Self.isControl(scalar) || Self.breaksALine(scalar) }
        guard unicodeScalars.contains(where: unsafe) else { return self }
        return String(String.UnicodeScalarView(unicodeScalars.map { unsafe($0) ? "\u{FFFD}" : $0 }))
    }

    /// Unicode's line breaks that `isControl` lets through (line feed, line and paragraph separator),
    /// and tab, which would shift the columns after it.
    private static func breaksALine(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x0A, 0x09, 0x2028, 0x2029: true
        default: false
        }
    }

    private static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x0A, 0x09: false
        case 0x00...0x1F, 0x7F...0x9F: true
        default: false
        }
    }
}
