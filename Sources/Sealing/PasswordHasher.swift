import COpenSSL
import Foundation

/// Staff password hashing with scrypt (`EVP_PBE_scrypt`), stored as a self-describing string:
///
///     $scrypt$ln=17,r=8,p=1$<salt, base64 without padding>$<hash, base64 without padding>
///
/// `ln` is log2(N). Parameters can be raised later: old hashes still verify, and `needsRehash` tells
/// the caller to store a new hash at the next successful login. Comparison is constant-time.
public struct PasswordHasher: Sendable {
    /// scrypt cost parameters.
    public struct Parameters: Hashable, Sendable {
        /// log2 of the CPU/memory cost N.
        public var logN: Int
        public var r: Int
        public var p: Int

        public init(logN: Int, r: Int, p: Int) {
            self.logN = logN
            self.r = r
            self.p = p
        }

        /// N = 2^17, r = 8, p = 1: about 128 MiB and a few hundred milliseconds per hash.
        public static let standard = Parameters(logN: 17, r: 8, p: 1)

        /// Memory scrypt needs for these parameters, with headroom (OpenSSL's default cap is 32 MiB).
        var maxMemory: UInt64 { UInt64(129 * r * p) + UInt64(128 * r) * (UInt64(1) << UInt64(logN)) + (1 << 20) }
    }

    /// Parameters for new hashes.
    public let parameters: Parameters
    /// Caps concurrent hashing (each scrypt takes ~128 MiB and a core); shared by copies.
    public let gate: ConcurrencyGate
    /// Salt length in bytes.
    public static let saltCount = 16
    /// Derived hash length in bytes.
    public static let hashCount = 32

    /// - Parameters:
    ///   - parameters: scrypt cost for new hashes.
    ///   - maxConcurrent: hashes computed at once by the async methods (default: the core count).
    public init(parameters: Parameters = .standard, maxConcurrent: Int = ProcessInfo.processInfo.activeProcessorCount) {
        self.parameters = parameters
        self.gate = ConcurrencyGate(limit: max(1, maxConcurrent))
    }

    /// Hashes a new password off the cooperative thread pool, at most `maxConcurrent` at a time.
    public func hash(_ password: String) async throws -> String {
        try await gate.run { try await runOnDedicatedThread { try self.hash(password) } }
    }

    /// Verifies a password off the cooperative thread pool, at most `maxConcurrent` at a time.
    public func verify(_ password: String, against stored: String) async -> Bool {
        await gate.run {
            (try? await runOnDedicatedThread { self.verify(password, against: stored) }) ?? false
        }
    }

    /// Hashes a new password, blocking the calling thread (prefer the async form on a server).
    public func hash(_ password: String) throws -> String {
        let salt = try SecureRandom.bytes(Self.saltCount)
        let derived = try Self.scrypt(
            password: Array(password.utf8),
            salt: salt,
            parameters: parameters,
            count: Self.hashCount
        )
        return
            "$scrypt$ln=\(parameters.logN),r=\(parameters.r),p=\(parameters.p)$\(Self.base64(salt))$\(Self.base64(derived))"
    }

    /// Checks a password against a stored hash, in constant time for the comparison, blocking the
    /// calling thread (prefer the async form on a server).
    ///
    /// - Returns: `false` for a wrong password or a malformed stored string.
    public func verify(_ password: String, against stored: String) -> Bool {
        guard let parsed = Self.parse(stored),
            let derived = try? Self.scrypt(
                password: Array(password.utf8),
                salt: parsed.salt,
                parameters: parsed.parameters,
                count: parsed.hash.count
            )
        else { return false }
        return CRYPTO_memcmp(derived, parsed.hash, derived.count) == 0
    }

    /// The stored form of `password` hashed with the parameters and salt of `settings` (a stored hash
    /// without its last field: `$scrypt$ln=…,r=…,p=…$<salt>`), off the cooperative thread pool.
    ///
    /// Sign-in uses it so the service never reads a stored hash: the database hands out the settings,
    /// the service derives the candidate, and the database compares it with what it stores.
    ///
    /// - Returns: `nil` when `settings` is malformed.
    public func derive(_ password: String, settings: String) async -> String? {
        guard let parsed = Self.parse(settings: settings) else { return nil }
        return await gate.run {
            guard
                let derived = try? await runOnDedicatedThread({
                    try Self.scrypt(
                        password: Array(password.utf8),
                        salt: parsed.salt,
                        parameters: parsed.parameters,
                        count: Self.hashCount
                    )
                })
            else { return nil }
            return settings + "$" + Self.base64(derived)
        }
    }

    /// Whether a stored hash uses weaker parameters than this hasher's (rehash after login).
    public func needsRehash(_ stored: String) -> Bool {
        needsRehash(Self.parse(stored))
    }

    /// Whether a stored hash with these `settings` (the stored form without its last field, as
    /// `derive` takes them) uses weaker parameters than this hasher's.
    public func needsRehash(settings: String) -> Bool {
        needsRehash(Self.parse(settings: settings))
    }

    private func needsRehash(_ parsed: Parsed?) -> Bool {
        guard let parsed else { return true }
        return parsed.parameters.logN < parameters.logN || parsed.parameters.r < parameters.r
            || parsed.parameters.p < parameters.p
    }

    /// Raw scrypt (RFC 7914) through OpenSSL.
    public static func scrypt(password: [UInt8], salt: [UInt8], parameters: Parameters, count: Int) throws -> [UInt8] {
        // Caps keep a tampered stored hash from asking for absurd memory or overflowing the maths.
        guard (1...22).contains(parameters.logN), (1...32).contains(parameters.r), (1...16).contains(parameters.p)
        else {
            throw SealingError(.invalidKey, detail: "scrypt parameters out of range")
        }
        var output = [UInt8](repeating: 0, count: count)
        OpenSSLErrorQueue.clear()
        let status = password.withUnsafeBufferPointer { passwordBytes in
            salt.withUnsafeBufferPointer { saltBytes in
                passwordBytes.withMemoryRebound(to: CChar.self) { passwordChars in
                    EVP_PBE_scrypt(
                        passwordChars.baseAddress,
                        passwordChars.count,
                        saltBytes.baseAddress,
                        saltBytes.count,
                        UInt64(1) << UInt64(parameters.logN),
                        UInt64(parameters.r),
                        UInt64(parameters.p),
                        parameters.maxMemory,
                        &output,
                        count
                    )
                }
            }
        }
        guard status == 1 else { throw SealingError.openSSL("EVP_PBE_scrypt") }
        return output
    }

    private struct Parsed {
        var parameters: Parameters
        var salt: [UInt8]
        var hash: [UInt8]
    }

    /// The parameters and salt of `settings`, a stored hash without its last field.
    private static func parse(settings: String) -> Parsed? {
        parse(settings + "$" + base64([UInt8](repeating: 0, count: hashCount)))
    }

    private static func parse(_ stored: String) -> Parsed? {
        let parts = stored.split(separator: "$", omittingEmptySubsequences: false)
        guard parts.count == 5, parts[0].isEmpty, parts[1] == "scrypt" else { return nil }
        var values: [String: Int] = [:]
        for pair in parts[2].split(separator: ",") {
            let keyValue = pair.split(separator: "=")
            guard keyValue.count == 2, let value = Int(keyValue[1]) else { return nil }
            values[String(keyValue[0])] = value
        }
        guard let logN = values["ln"], let r = values["r"], let p = values["p"],
            let salt = unbase64(String(parts[3])), let hash = unbase64(String(parts[4])), hash.count >= 16
        else { return nil }
        return Parsed(parameters: Parameters(logN: logN, r: r, p: p), salt: salt, hash: hash)
    }

    static func base64(_ bytes: [UInt8]) -> String {
        var text = Data(bytes).base64EncodedString()
        while text.hasSuffix("=") { text.removeLast() }
        return text
    }

    static func unbase64(_ text: String) -> [UInt8]? {
        let padded = text + String(repeating: "=", count: (4 - text.count % 4) % 4)
        return Data(base64Encoded: padded).map(Array.init)
    }
}
