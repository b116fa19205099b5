import Sealing
import Testing

@Suite("SHA-256 through OpenSSL, and hex")
struct SHA256Tests {
    @Test(arguments: [
        ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
        (
            "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"
        ),
    ])
    func matchesFIPS180Vectors(input: String, expected: String) {
        #expect(SHA256.hexDigest(input) == expected)
    }

    @Test func hashesBytesWithNULs() {
        let bytes: [UInt8] = [0, 0, 0]
        #expect(SHA256.hash(bytes).count == 32)
        #expect(SHA256.hash(bytes) != SHA256.hash([UInt8]()))
        #expect(Hex.encode(SHA256.hash(ArraySlice(bytes))) == Hex.encode(SHA256.hash(bytes)))
    }

    @Test func hexRoundTripsAndRejectsGarbage() {
        let bytes: [UInt8] = [0x00, 0xAB, 0xFF, 0x10]
        #expect(Hex.encode(bytes) == "00abff10")
        #expect(Hex.decode("00ABff10") == bytes)
        #expect(Hex.decode("abc") == nil)
        #expect(Hex.decode("zz") == nil)
        #expect(Hex.decode("") == [])
    }
}
