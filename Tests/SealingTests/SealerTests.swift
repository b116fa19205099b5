import Foundation
import Testing

@testable import Sealing

@Suite("Sealed values: format, context binding, typed failures")
struct SealerTests {
    let key = DataKey(id: Array(repeating: 0x11, count: 16), secret: try! SecureBytes(randomCount: 32))
    let context = SealContext(table: "notes", column: "body", rowID: "row-1", subject: "couple:abc")

    private func lookup(_ keys: DataKey...) -> ([UInt8]) throws -> DataKey {
        { id in
            guard let key = keys.first(where: { $0.id == id }) else { throw SealingError(.unknownKey) }
            return key
        }
    }

    /// A deterministic generator so failures reproduce.
    struct SeededGenerator: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return state
        }
    }

    @Test func randomPlaintextsFromEmptyToOneMebibyteRoundTrip() throws {
        var generator = SeededGenerator(state: 42)
        for size in [0, 1, 15, 16, 17, 255, 4_096, 65_537, 1 << 20] {
            let plaintext = (0..<size).map { _ in UInt8.random(in: 0...255, using: &generator) }
            let sealed = try Sealer.seal(plaintext, with: key, context: context)
            #expect(sealed.count == SealedValue.headerCount + size + 16)
            #expect(try Sealer.open(sealed, context: context, key: lookup(key)) == plaintext)
        }
    }

    @Test func everySingleBitFlipFails() throws {
        let sealed = try Sealer.seal(Array("Partner A felt unseen.".utf8), with: key, context: context)
        for index in sealed.indices {
            for bit in 0..<8 {
                var tampered = sealed
                tampered[index] ^= 1 << bit
                #expect(throws: SealingError.self) { try Sealer.open(tampered, context: context, key: lookup(key)) }
            }
        }
    }

    @Test func aValueMovedElsewhereFailsToOpen() throws {
        let sealed = try Sealer.seal(Array("private".utf8), with: key, context: context)
        let elsewhere = [
            SealContext(table: "notes", column: "body", rowID: "row-2", subject: "couple:abc"),
            SealContext(table: "notes", column: "plan", rowID: "row-1", subject: "couple:abc"),
            SealContext(table: "addenda", column: "body", rowID: "row-1", subject: "couple:abc"),
            SealContext(table: "notes", column: "body", rowID: "row-1", subject: "couple:xyz"),
            // Length prefixes keep field boundaries apart: "no"+"tesbody" is not "notes"+"body".
            SealContext(table: "no", column: "tesbody", rowID: "row-1", subject: "couple:abc"),
        ]
        for other in elsewhere {
            #expect(throws: SealingError(.authenticationFailed)) {
                try Sealer.open(sealed, context: other, key: lookup(key))
            }
        }
    }

    @Test func wrongKeyTruncationAndDowngradeAreDistinctErrors() throws {
        let sealed = try Sealer.seal(Array("x".utf8), with: key, context: context)
        let otherKey = DataKey(id: Array(repeating: 0x22, count: 16), secret: try SecureBytes(randomCount: 32))
        #expect(throws: SealingError(.unknownKey)) { try Sealer.open(sealed, context: context, key: lookup(otherKey)) }
        let impostor = DataKey(id: key.id, secret: try SecureBytes(randomCount: 32))
        #expect(throws: SealingError(.authenticationFailed)) {
            try Sealer.open(sealed, context: context, key: lookup(impostor))
        }
        #expect(throws: SealingError(.truncated)) {
            try Sealer.open(Array(sealed.prefix(40)), context: context, key: lookup(key))
        }
        #expect(throws: SealingError(.truncated)) { try Sealer.open([], context: context, key: lookup(key)) }
        var future = sealed
        future[0] = 9
        #expect(throws: SealingError(.unknownVersion)) { try Sealer.open(future, context: context, key: lookup(key)) }
        #expect(throws: SealingError(.versionBelowMinimum)) {
            try Sealer.open(sealed, context: context, minimumVersion: 2, key: lookup(key))
        }
        var algorithm = sealed
        algorithm[1] = 7
        #expect(throws: SealingError(.unknownAlgorithm)) {
            try Sealer.open(algorithm, context: context, key: lookup(key))
        }
        var nonceLength = sealed
        nonceLength[18] = 16
        #expect(throws: SealingError(.badNonceLength)) {
            try Sealer.open(nonceLength, context: context, key: lookup(key))
        }
    }

    @Test func randomAndTruncatedBlobsNeverCrash() throws {
        var generator = SeededGenerator(state: 7)
        let sealed = try Sealer.seal(Array("abc".utf8), with: key, context: context)
        for length in 0..<sealed.count {
            #expect(throws: SealingError.self) {
                try Sealer.open(Array(sealed.prefix(length)), context: context, key: lookup(key))
            }
        }
        for _ in 0..<5_000 {
            let length = Int.random(in: 0...80, using: &generator)
            var blob = (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
            if blob.count > 18, Bool.random(using: &generator) {
                blob[0] = 1
                blob[1] = 1
                blob[18] = 12
            }
            #expect(throws: SealingError.self) { try Sealer.open(blob, context: context, key: lookup(key)) }
        }
    }

    @Test func aMillionSealsOfOnePlaintextUseDistinctNonces() throws {
        struct Nonce: Hashable {
            var high: UInt64
            var low: UInt32
        }
        var seen = Set<Nonce>()
        seen.reserveCapacity(1_000_000)
        let plaintext = Array("same".utf8)
        for _ in 0..<1_000_000 {
            let sealed = try Sealer.seal(plaintext, with: key, context: context)
            var high: UInt64 = 0
            var low: UInt32 = 0
            for index in 19..<27 { high = high << 8 | UInt64(sealed[index]) }
            for index in 27..<31 { low = low << 8 | UInt32(sealed[index]) }
            seen.insert(Nonce(high: high, low: low))
        }
        #expect(seen.count == 1_000_000)
    }

    @Test func keysNeverPrint() throws {
        let secret = try SecureBytes(randomCount: 32)
        #expect("\(secret)" == "<redacted>")
        #expect(String(reflecting: secret) == "<redacted>")
        #expect("\(key)".contains("redacted"))
        #expect(!secret.constantTimeEquals(try SecureBytes(randomCount: 32)))
        #expect(secret.constantTimeEquals(secret))
    }
}
