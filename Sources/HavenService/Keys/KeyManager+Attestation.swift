import Foundation
import HavenStore
import Postgres
import Sealing

/// Second-factor attestations: proof to the database that a one-time code's time step was checked
/// by a holder of the master key (migration 0027, docs/security.md).
///
/// The key is HKDF-Expand(master key version v, "haven-totp-attestation-v1", 32); the attestation of
/// a step in a session is HMAC-SHA-256(key, token hash || int64_be(step)). Operators record each
/// version's key (owner role) when they check the master keys; the application role can neither read
/// nor write it, so the haven_app password alone cannot pass a second factor.
extension KeyManager {
    static let attestationInfo = Array("haven-totp-attestation-v1".utf8)

    /// SQLSTATE 55000: the database has no attestation key for the version used.
    static let attestationKeyMissing = "55000"

    /// The attestation key of one master key version.
    func attestationKey(version: Int) -> SecureBytes? {
        ring.keys[version].map { HKDF.expand(key: $0, info: Self.attestationInfo, count: 32) }
    }

    /// The attestation of `step` for the session whose token hash is `sessionHash`, under the newest
    /// master key version.
    func attest(step: Int64, sessionHash: [UInt8]) -> (version: Int32, mac: [UInt8]) {
        let version = ring.currentVersion
        guard let key = attestationKey(version: version) else { return (Int32(version), []) }
        let message = sessionHash + withUnsafeBytes(of: step.bigEndian) { Array($0) }
        return (Int32(version), HMAC.authenticate(message, key: key, digest: .sha256))
    }

    /// A code's time step with the master key's attestation of it for one session: what the database's
    /// `haven_step_attested` checks before a step counts (migrations 0027, 0057).
    struct AttestedStep: Sendable {
        var step: Int64
        var version: Int32
        var mac: [UInt8]
    }

    /// The time step `code` matches on `totp` at `now`, if it is newer than `lastUsed`, attested for the
    /// session whose token hash is `sessionHash`; nil when the code does not match or was used already.
    /// The one place a code meets its attestation: staff and partner sign-in, and their apps' confirm
    /// and remove.
    func attestedStep(
        of code: String,
        on totp: TOTP,
        after lastUsed: Int64?,
        sessionHash: [UInt8],
        at now: Date = Date()
    ) -> AttestedStep? {
        guard let step = totp.matchingStep(for: code, at: now), step > lastUsed ?? .min else { return nil }
        let (version, mac) = attest(step: step, sessionHash: sessionHash)
        return AttestedStep(step: step, version: version, mac: mac)
    }

    /// Codes cannot be checked: no master key is loaded, or the database has no attestation key for the
    /// newest version (an operator records it with `haven keys status`). Nothing was changed.
    static let codesUnavailable = ServiceError(
        .unauthenticated,
        reason: "totp-unavailable",
        "one-time codes cannot be checked until an operator records the master key's attestation key"
    )

    /// Runs `body`, which hands an attested step to the database, and turns the database's refusal for a
    /// missing attestation key (SQLSTATE 55000, `haven_step_attested`) into `codesUnavailable`, so no
    /// caller answers it as a server error.
    static func checkingAttestation<Value>(
        isolation: isolated (any Actor)? = #isolation,
        _ body: () async throws -> Value
    ) async throws -> Value {
        do {
            return try await body()
        } catch let error as PostgresError where error.sqlState == attestationKeyMissing {
            throw codesUnavailable
        }
    }

    /// Refuses with `codesUnavailable` unless the newest master key version's attestation key is
    /// recorded: checked before a code is taken, so a try is neither counted nor half done.
    func requireAttestation(on connection: PostgresConnection) async throws {
        guard try await attestationRecorded(on: connection) else { throw Self.codesUnavailable }
    }

    /// The attestation of a portal sign-in link's token hash (migration 0046), under the newest master
    /// key version: HMAC-SHA-256(key, "haven-sign-in-link-v1:" || token hash). Without it the database
    /// issues no link, so the haven_app password alone cannot make a link whose token it knows.
    func attest(signInLink tokenHash: [UInt8]) -> (version: Int32, mac: [UInt8]) {
        let version = ring.currentVersion
        guard let key = attestationKey(version: version) else { return (Int32(version), []) }
        return (Int32(version), HMAC.authenticate(Self.signInLinkLabel + tokenHash, key: key, digest: .sha256))
    }

    static let signInLinkLabel = Array("haven-sign-in-link-v1:".utf8)

    /// Records the attestation keys of loaded versions the database lacks. Only the owner role may;
    /// for the application role (the server) this does nothing, and readiness reports what is missing.
    func recordAttestationKeys(on connection: PostgresConnection) async throws {
        let recorded = Set(
            try await connection.query("SELECT haven_attestation_versions()").map { try $0.decode(0, as: Int.self) }
        )
        for version in ring.keys.keys.sorted() where !recorded.contains(version) {
            guard let key = attestationKey(version: version) else { continue }
            var bytes = key.withUnsafeBytes { Array($0) }
            defer { wipe(&bytes) }
            do {
                try await connection.execute(
                    """
                    INSERT INTO second_factor_attestation_keys (master_key_version, key)
                    VALUES (\(Int32(version)), \(bytes)) ON CONFLICT (master_key_version) DO NOTHING
                    """
                )
            } catch let error as PostgresError where error.code == .insufficientPrivilege {
                return
            }
        }
    }

    /// Whether the newest loaded master key version's attestation key is recorded (readiness).
    public func attestationRecorded(on connection: PostgresConnection) async throws -> Bool {
        try await connection.query("SELECT haven_attestation_versions()")
            .map { try $0.decode(0, as: Int.self) }.contains(ring.currentVersion)
    }
}
