import Sealing
import Testing

@Suite("HKDF-Expand over OpenSSL's HMAC")
struct HKDFTests {
    /// RFC 5869, appendix A, test cases 1 and 3 (from the PRK, i.e. the Expand step).
    @Test(arguments: [
        (
            "077709362c2e32df0ddc3f0dc47bba6390b6c73bb50f9c3122ec844ad7c2b3e5", "f0f1f2f3f4f5f6f7f8f9",
            "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865"
        ),
        (
            "19ef24a32c717b167f33a91d6f648bdf96596776afdb6377ac434c1c293ccb04", "",
            "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8"
        ),
    ])
    func matchesRFC5869Vectors(prk: String, info: String, okm: String) throws {
        let key = SecureBytes(copying: try #require(Hex.decode(prk)))
        let derived = HKDF.expand(key: key, info: try #require(Hex.decode(info)), count: 42)
        #expect(derived.withUnsafeBytes { Hex.encode($0) } == okm)
    }

    @Test func differentPurposesGetDifferentKeys() {
        let key = SecureBytes(copying: [UInt8](repeating: 7, count: 32))
        let one = HKDF.expand(key: key, info: Array("purpose one".utf8), count: 32)
        let two = HKDF.expand(key: key, info: Array("purpose two".utf8), count: 32)
        #expect(one.count == 32 && !one.constantTimeEquals(two))
    }
}
