/// The one HTML escaper: Haven's pages (the web templates' `{{x}}`), its reports and exports and its
/// SVG charts all escape text through it, so text a person wrote shows as text wherever it lands,
/// in an element or inside a quoted attribute.
public enum HTMLEscape {
    /// `text` with `&`, `<`, `>`, `"` and `'` replaced by entities.
    ///
    /// Byte by byte over UTF-8, not character by character: to Swift a quote followed by a combining
    /// mark is one `Character` that equals no quote, yet a browser's tokenizer still reads the quote
    /// and ends the attribute there. A string with nothing to escape (most of them) comes back as it is.
    public static func text(_ text: String) -> String {
        var text = text
        return text.withUTF8 { bytes in
            guard bytes.contains(where: needsEscape) else { return nil }
            var out: [UInt8] = []
            out.reserveCapacity(bytes.count + 32)
            for byte in bytes {
                switch byte {
                case UInt8(ascii: "&"): out.append(contentsOf: "&amp;".utf8)
                case UInt8(ascii: "<"): out.append(contentsOf: "&lt;".utf8)
                case UInt8(ascii: ">"): out.append(contentsOf: "&gt;".utf8)
                case UInt8(ascii: "\""): out.append(contentsOf: "&quot;".utf8)
                case UInt8(ascii: "'"): out.append(contentsOf: "&#39;".utf8)
                default: out.append(byte)
                }
            }
            return String(decoding: out, as: UTF8.self)
        } ?? text
    }

    private static func needsEscape(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "&"), UInt8(ascii: "<"), UInt8(ascii: ">"), UInt8(ascii: "\""), UInt8(ascii: "'"): true
        default: false
        }
    }
}
