import Foundation
import Testing

@testable import Sealing

@Suite("AES-256-GCM against Project Wycheproof's vectors")
struct WycheproofAESGCMTests {
    struct File: Decodable {
        var testGroups: [Group]
    }

    struct Group: Decodable {
        var keySize: Int
        var ivSize: Int
        var tagSize: Int
        var tests: [Vector]
    }

    struct Vector: Decodable, Sendable {
        var tcId: Int
        var key: String
        var iv: String
        var aad: String
        var msg: String
        var ct: String
        var tag: String
        var result: String
    }

    static let groups: [Group] = {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("Fixtures/wycheproof_aes_gcm_test.json")
        let data = try! Data(contentsOf: url)
        return try! JSONDecoder().decode(File.self, from: data).testGroups
    }()

    static var ourFormat: [Vector] {
        groups.filter { $0.keySize == 256 && $0.ivSize == 96 && $0.tagSize == 128 }.flatMap(\.tests)
    }

    static var otherNonceSizes: [(Int, Vector)] {
        groups.filter { $0.keySize == 256 && $0.ivSize != 96 && $0.tagSize == 128 }
            .flatMap { group in group.tests.map { (group.ivSize, $0) } }
    }

    private func bytes(_ hex: String) -> [UInt8] { Hex.decode(hex)! }

    @Test func theSubsetIsWhatTheREADMESays() {
        let vectors = Self.ourFormat
        #expect(vectors.count == 66)
        #expect(vectors.filter { $0.result == "valid" }.count == 39)
        #expect(vectors.filter { $0.result == "invalid" }.count == 27)
    }

    @Test func validVectorsEncryptExactlyAndRoundTrip() throws {
        for vector in Self.ourFormat where vector.result == "valid" {
            let key = SecureBytes(copying: bytes(vector.key))
            let sealed = try AESGCM.seal(bytes(vector.msg), key: key, nonce: bytes(vector.iv), aad: bytes(vector.aad))
            #expect(Hex.encode(sealed) == vector.ct + vector.tag, "tcId \(vector.tcId)")
            let opened = try AESGCM.open(
                bytes(vector.ct + vector.tag),
                key: key,
                nonce: bytes(vector.iv),
                aad: bytes(vector.aad)
            )
            #expect(opened == bytes(vector.msg), "tcId \(vector.tcId)")
        }
    }

    @Test func invalidVectorsFailWithNoPlaintext() {
        for vector in Self.ourFormat where vector.result == "invalid" {
            let key = SecureBytes(copying: bytes(vector.key))
            var opened: [UInt8]?
            let error = #expect(throws: SealingError.self, "tcId \(vector.tcId)") {
                opened = try AESGCM.open(
                    bytes(vector.ct + vector.tag),
                    key: key,
                    nonce: bytes(vector.iv),
                    aad: bytes(vector.aad)
                )
            }
            #expect(error?.kind == .authenticationFailed)
            #expect(opened == nil)
        }
    }

    @Test func otherNonceSizesAreRejectedByTheParserBeforeOpenSSL() {
        let vectors = Self.otherNonceSizes
        #expect(!vectors.isEmpty)
        for (ivBits, vector) in vectors {
            // Wrap the vector in our envelope with its own nonce length, as a stored value would be.
            let nonce = bytes(vector.iv)
            var envelope: [UInt8] = [SealedValue.currentVersion, SealedValue.aes256GCM]
            envelope += [UInt8](repeating: 0xAB, count: 16)
            envelope.append(UInt8(truncatingIfNeeded: nonce.count))
            envelope += nonce + bytes(vector.ct + vector.tag)
            let error = #expect(throws: SealingError.self, "tcId \(vector.tcId), \(ivBits)-bit nonce") {
                try SealedValue(parsing: envelope)
            }
            #expect(error?.kind == .badNonceLength || (nonce.count == 12 && error == nil))
            // The primitive itself also refuses such a nonce.
            let key = SecureBytes(copying: bytes(vector.key))
            #expect(throws: SealingError(.badNonceLength)) {
                try AESGCM.open(bytes(vector.ct + vector.tag), key: key, nonce: nonce, aad: bytes(vector.aad))
            }
        }
    }
}
