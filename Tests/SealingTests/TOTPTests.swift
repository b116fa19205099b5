import Foundation
import Sealing
import Testing

@Suite("HMAC, base32 and TOTP against their RFCs' vectors")
struct TOTPTests {
    static let seeds: [HMAC.Digest: String] = [
        .sha1: "12345678901234567890",
        .sha256: "12345678901234567890123456789012",
        .sha512: "1234567890123456789012345678901234567890123456789012345678901234",
    ]

    /// RFC 6238 Appendix B: time, digest, eight-digit code.
    @Test(arguments: [
        (59, HMAC.Digest.sha1, "94287082"), (59, .sha256, "46119246"), (59, .sha512, "90693936"),
        (1_111_111_109, .sha1, "07081804"), (1_111_111_109, .sha256, "68084774"), (1_111_111_109, .sha512, "25091201"),
        (1_111_111_111, .sha1, "14050471"), (1_111_111_111, .sha256, "67062674"), (1_111_111_111, .sha512, "99943326"),
        (1_234_567_890, .sha1, "89005924"), (1_234_567_890, .sha256, "91819424"), (1_234_567_890, .sha512, "93441116"),
        (2_000_000_000, .sha1, "69279037"), (2_000_000_000, .sha256, "90698825"), (2_000_000_000, .sha512, "38618901"),
        (20_000_000_000, .sha1, "65353130"), (20_000_000_000, .sha256, "77737706"),
        (20_000_000_000, .sha512, "47863826"),
    ])
    func matchesRFC6238Vectors(time: Int, digest: HMAC.Digest, expected: String) throws {
        let seed = try #require(Self.seeds[digest])
        let totp = TOTP(secret: SecureBytes(copying: Array(seed.utf8)), digits: 8, digest: digest)
        #expect(totp.code(at: Date(timeIntervalSince1970: Double(time))) == expected)
    }

    /// RFC 4226 Appendix D: HOTP values for counters 0–9 (TOTP's code for a step is HOTP of it).
    @Test func matchesRFC4226Vectors() {
        let hotp = TOTP(secret: SecureBytes(copying: Array("12345678901234567890".utf8)))
        let expected = [
            "755224", "287082", "359152", "969429", "338314", "254676", "287922", "162583", "399871", "520489",
        ]
        #expect((0..<10).map { hotp.code(step: Int64($0)) } == expected)
    }

    @Test func hmacMatchesRFC2202AndRFC4231() {
        let key = SecureBytes(copying: [UInt8](repeating: 0x0b, count: 20))
        let message = Array("Hi There".utf8)
        #expect(
            Hex.encode(HMAC.authenticate(message, key: key, digest: .sha1))
                == "b617318655057264e28bc0b6fb378c8ef146be00"
        )
        #expect(
            Hex.encode(HMAC.authenticate(message, key: key, digest: .sha256))
                == "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"
        )
    }

    @Test func base32MatchesRFC4648() {
        let cases = [
            ("", ""), ("f", "MY======"), ("fo", "MZXQ===="), ("foo", "MZXW6==="), ("foob", "MZXW6YQ="),
            ("fooba", "MZXW6YTB"), ("foobar", "MZXW6YTBOI======"),
        ]
        for (plain, encoded) in cases {
            #expect(Base32.encode(Array(plain.utf8)) == encoded)
            #expect(Base32.decode(encoded) == Array(plain.utf8))
            #expect(Base32.decode(encoded.lowercased().replacingOccurrences(of: "=", with: "")) == Array(plain.utf8))
        }
        #expect(Base32.decode("MZXW1") == nil, "1 is not in the alphabet")
        #expect(Base32.decode("M") == nil, "one character cannot be an encoding")
    }

    @Test func acceptsOneStepOfDriftAndNoMore() {
        let totp = TOTP(secret: SecureBytes(copying: Array("12345678901234567890".utf8)))
        let now = Date(timeIntervalSince1970: 1_234_567_890)
        let step = totp.step(at: now)
        #expect(totp.matchingStep(for: totp.code(step: step), at: now) == step)
        #expect(totp.matchingStep(for: totp.code(step: step - 1), at: now) == step - 1)
        #expect(totp.matchingStep(for: totp.code(step: step + 1), at: now) == step + 1)
        #expect(totp.matchingStep(for: totp.code(step: step - 2), at: now) == nil)
        #expect(totp.matchingStep(for: "12345", at: now) == nil)
        #expect(totp.matchingStep(for: "abcdef", at: now) == nil)
        let spaced = totp.code(step: step).enumerated().map { $0.offset == 3 ? " \($0.element)" : "\($0.element)" }
        #expect(totp.matchingStep(for: spaced.joined(), at: now) == step)
    }

    @Test func provisioningURIRoundTripsTheSecret() throws {
        let totp = try TOTP.generate()
        let uri = totp.provisioningURI(issuer: "Haven", account: "dana@harbor.example")
        #expect(uri.hasPrefix("otpauth://totp/Haven:dana@harbor.example?secret="))
        #expect(uri.contains("&digits=6&period=30"))
        let secret = try #require(Base32.decode(totp.base32Secret))
        #expect(secret.count == TOTP.secretByteCount)
        #expect(TOTP(secret: SecureBytes(copying: secret)).code(step: 7) == totp.code(step: 7))
        #expect("\(totp.secret)" == "<redacted>")
    }
}
