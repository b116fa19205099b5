import Foundation
import Sealing

/// What a partner presents to spend an invitation: the link's 256-bit token (`/portal/welcome/{token}`)
/// or the 8-character code the counselor read out. The database keeps only the SHA-256 of either.
public enum InvitationKey: Sendable {
    case link(SessionToken)
    case code(String)

    /// The code alphabet: Crockford's base 32 (no I, L, O or U), so a code read aloud or copied from
    /// paper is not mistaken; 8 characters are 40 bits.
    static let codeAlphabet = Array("0123456789ABCDEFGHJKMNPQRSTVWXYZ")
    static let codeLength = 8

    /// A new random code, as shown to the counselor (`ABCD-EFGH`).
    static func generateCode() throws -> String {
        let bytes = try SecureRandom.bytes(codeLength)
        let characters = bytes.map { codeAlphabet[Int($0) % codeAlphabet.count] }
        return String(characters.prefix(4)) + "-" + String(characters.suffix(4))
    }

    /// A code as typed (any case, spaces or dashes, O for 0, I or L for 1) in its one stored form, or
    /// nil when it cannot be a code.
    static func normalized(_ code: String) -> String? {
        var out = ""
        for character in code.uppercased() where character != "-" && !character.isWhitespace {
            switch character {
            case "O": out.append("0")
            case "I", "L": out.append("1")
            default:
                guard codeAlphabet.contains(character) else { return nil }
                out.append(character)
            }
        }
        return out.count == codeLength ? out : nil
    }

    /// The SHA-256 the database looks the invitation up by (nil: a code that cannot be one).
    public var storageHash: [UInt8]? {
        switch self {
        case .link(let token): token.storageHash
        case .code(let code): Self.normalized(code).map { SHA256.hash($0) }
        }
    }
}
