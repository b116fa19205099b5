/// RFC 4648 base32 (upper-case alphabet), the form authenticator apps take TOTP secrets in.
public enum Base32 {
    static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567".utf8)

    /// Encodes `bytes`, padded with `=` to a multiple of eight characters unless `padding` is false.
    public static func encode(_ bytes: [UInt8], padding: Bool = true) -> String {
        var out: [UInt8] = []
        var buffer = 0
        var bits = 0
        for byte in bytes {
            buffer = (buffer << 8) | Int(byte)
            bits += 8
            while bits >= 5 {
                out.append(alphabet[(buffer >> (bits - 5)) & 31])
                bits -= 5
            }
        }
        if bits > 0 { out.append(alphabet[(buffer << (5 - bits)) & 31]) }
        if padding {
            while out.count % 8 != 0 { out.append(UInt8(ascii: "=")) }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Decodes base32 text, ignoring case, spaces, dashes and trailing padding; `nil` if any other
    /// character appears or the length cannot be an encoding.
    public static func decode(_ text: String) -> [UInt8]? {
        var out: [UInt8] = []
        var buffer = 0
        var bits = 0
        var count = 0
        for scalar in text.uppercased().unicodeScalars where scalar != " " && scalar != "-" {
            if scalar == "=" { break }
            guard scalar.isASCII, let value = alphabet.firstIndex(of: UInt8(scalar.value)) else { return nil }
            buffer = ((buffer << 5) | value) & 0xFFFF
            bits += 5
            count += 1
            if bits >= 8 {
                out.append(UInt8((buffer >> (bits - 8)) & 0xFF))
                bits -= 8
            }
        }
        // Lengths 1, 3 and 6 (mod 8) are never produced by an encoder.
        guard ![1, 3, 6].contains(count % 8) else { return nil }
        return out
    }
}
