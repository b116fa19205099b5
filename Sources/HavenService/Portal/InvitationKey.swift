import Foundation
import Sealing

/// What a partner presents to spend an invitation: the link's 256-bit token (`/portal/welcome/{token}`)
/// or the 12-character code the counselor read out. The database keeps only the SHA-256 of either.
public enum InvitationKey: Sendable {
    case link(SessionToken)
    case code(String)

    /// The code alphabet: Crockford's base 32 (no I, L, O or U), so a code read aloud or copied from
    /// paper is not mistaken; 12 characters are 60 bits.
    static let codeAlphabet = Array("0123456789ABCDEFGHJKMNPQRSTVWXYZ")
    static let codeLength = 12

    /// A new random code, as shown to the counselor in groups of 4 for reading out (`ABCD-EFGH-JKMN`).
    static func generateCode() throws -> String {
        let bytes = try SecureRandom.bytes(codeLength)
        let characters = bytes.map { codeAlphabet[Int($0) % codeAlphabet.count] }
        return stride(from: 0, to: codeLength, by: 4)
            .map { String(characters[$0..<$0 + 4]) }
            .joined(separator: "-")
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

    /// How the database counts a try of this key (`haven_portal_note_try`): codes against the global
    /// budget, link tokens (256 bits) not.
    var tryKind: String {
        switch self {
        case .link: "link"
        case .code: "code"
        }
    }

    /// The SHA-256 the database looks the invitation up by (nil: a code that cannot be one).
    public var storageHash: [UInt8]? {
        switch self {
        case .link(let token): token.storageHash
        case .code(let code): Self.normalized(code).map { SHA256.hash($0) }
        }
    }
}
