import Testing

@testable import Sealing

@Suite("scrypt password hashes and session tokens")
struct PasswordHasherTests {
    @Test func matchesRFC7914Vector() throws {
        // RFC 7914 section 12: P="password", S="NaCl", N=1024, r=8, p=16, dkLen=64.
        let derived = try PasswordHasher.scrypt(
            password: Array("password".utf8),
            salt: Array("NaCl".utf8),
            parameters: .init(logN: 10, r: 8, p: 16),
            count: 64
        )
        #expect(
            Hex.encode(derived)
                == "fdbabe1c9d3472007856e7190d01e9fe7c6ad7cbc8237830e77376634b3731622eaf30d92e22a3886ff109279d9830dac727afb94a83ee6d8360cbdfa2cc0640"
        )
    }

    @Test func hashesVerifyAndWrongPasswordsDoNot() throws {
        let hasher = PasswordHasher(parameters: .init(logN: 12, r: 8, p: 1))
        let stored = try hasher.hash("correct horse battery staple")
        #expect(stored.hasPrefix("$scrypt$ln=12,r=8,p=1$"))
        #expect(hasher.verify("correct horse battery staple", against: stored))
        #expect(!hasher.verify("correct horse battery stapl", against: stored))
        #expect(!hasher.verify("", against: stored))
        #expect(try hasher.hash("same") != hasher.hash("same"))
        #expect(!hasher.verify("x", against: "$scrypt$garbage"))
        #expect(!hasher.verify("x", against: ""))
    }

    @Test func weakerOldHashesStillVerifyAndAskForARehash() throws {
        let old = PasswordHasher(parameters: .init(logN: 10, r: 8, p: 1))
        let new = PasswordHasher(parameters: .init(logN: 12, r: 8, p: 1))
        let stored = try old.hash("pw")
        #expect(new.verify("pw", against: stored))
        #expect(new.needsRehash(stored))
        #expect(!new.needsRehash(try new.hash("pw")))
    }

    @Test func theStandardParametersWork() throws {
        let hasher = PasswordHasher()
        #expect(hasher.parameters == .init(logN: 17, r: 8, p: 1))
        let stored = try hasher.hash("a long passphrase")
        #expect(hasher.verify("a long passphrase", against: stored))
    }

    @Test func concurrentHashingIsCappedAndOffThePool() async throws {
        let hasher = PasswordHasher(parameters: .init(logN: 14, r: 8, p: 1), maxConcurrent: 2)
        let stored = try await hasher.hash("pw")
        let results = await withTaskGroup(of: Bool.self) { group in
            for index in 0..<8 {
                group.addTask { await hasher.verify(index % 2 == 0 ? "pw" : "wrong", against: stored) }
            }
            return await group.reduce(into: [Bool]()) { $0.append($1) }
        }
        #expect(results.filter { $0 }.count == 4)
        #expect(await hasher.gate.peak == 2)
        let fresh = try await hasher.hash("async")
        #expect(await hasher.verify("async", against: fresh))
    }

    @Test func tokensAreLongRandomAndStoredHashed() throws {
        let token = try SessionToken.generate()
        #expect(token.value.count == 43)
        #expect(token.storageHash.count == 32)
        #expect(try SessionToken.generate().value != token.value)
        #expect("\(token)" == "<redacted token>")
        #expect(SessionToken(value: token.value).storageHash == token.storageHash)
    }
}
