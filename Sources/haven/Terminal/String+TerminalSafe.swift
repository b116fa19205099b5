extension String {
    /// The text with terminal control characters made harmless: C0 controls other than newline and
    /// tab, DEL and C1 controls each become U+FFFD. Text that reaches a terminal from the server (a
    /// colleague's note, a report, a problem's detail) then cannot move the cursor, erase the line
    /// that shows a risk level, or set the reader's clipboard (OSC 52).
    var terminalSafe: String {
        guard unicodeScalars.contains(where: Self.isControl) else { return self }
        return String(String.UnicodeScalarView(unicodeScalars.map { Self.isControl($0) ? "\u{FFFD}" : $0 }))
    }

    private static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x0A, 0x09: false
        case 0x00...0x1F, 0x7F...0x9F: true
        default: false
        }
    }
}
