/// Quoted-printable (RFC 2045 §6.7) for a text body: UTF-8 bytes outside printable ASCII, `=`, and
/// a space or tab at a line's end become `=XX`; lines longer than 76 characters get soft breaks.
enum QuotedPrintable {
    /// Encodes the lines (without their line ends); each encoded line ends with CRLF.
    static func encode(_ lines: [String]) -> String {
        var output = ""
        for line in lines {
            let bytes = Array(line.utf8)
            var current = ""
            for (index, byte) in bytes.enumerated() {
                let last = index == bytes.count - 1
                let literal =
                    (byte >= 33 && byte <= 126 && byte != UInt8(ascii: "="))
                    || ((byte == 32 || byte == 9) && !last)
                let piece = literal ? String(UnicodeScalar(byte)) : "=" + hex(byte)
                // A soft break ("=") must fit within 76 characters.
                if current.utf8.count + piece.utf8.count > 75 {
                    output += current + "=\r\n"
                    current = ""
                }
                current += piece
            }
            output += current + "\r\n"
        }
        return output
    }

    private static func hex(_ byte: UInt8) -> String {
        let digits = Array("0123456789ABCDEF")
        return String([digits[Int(byte >> 4)], digits[Int(byte & 0x0F)]])
    }
}
