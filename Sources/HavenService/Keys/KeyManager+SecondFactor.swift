import Foundation
import HavenStore
import Postgres
import Sealing

extension KeyManager {
    /// Where a one-time-code secret's data key comes from when no staff context can read `data_keys`.
    enum SecondFactorKeySource: Sendable {
        /// The sign-in the transaction's pending staff context waits for (`haven_second_factor_key(id)`,
        /// migration 0050).
        case pendingStaff
        /// The partner's own key, in their context or their sign-in's pending one
        /// (`haven_portal_totp_key(id)`, migration 0057).
        case partner
    }

    /// Opens the sealed one-time-code secret of the sign-in the transaction's pending context waits for.
    /// A pending context is no staff context and reads no `data_keys` row, so the database hands the one
    /// key of the staff member's own subject (`haven_second_factor_key(id)`, migration 0050), asked every
    /// time (the cache is not a permission).
    func openSecondFactorSecret(
        _ sealed: [UInt8],
        at place: SealedPlace,
        from source: SecondFactorKeySource = .pendingStaff,
        on connection: PostgresConnection
    ) async throws -> SecureBytes {
        let minimumFormat = UInt8(clamping: try await minimumFormatVersion(on: connection))
        let value = try SealedValue(parsing: sealed, minimumVersion: minimumFormat)
        let id = UUID(uuid: uuidTuple(value.keyID))
        let found =
            switch source {
            case .pendingStaff: try await KeyStore.secondFactorKey(id: id, on: connection)
            case .partner: try await KeyStore.portalTOTPKey(id: id, on: connection)
            }
        guard let record = found else { throw SealingError(.unknownKey) }
        let key = try unwrap(record)
        var plaintext = try Sealer.open(sealed, context: place.context, minimumVersion: minimumFormat) { _ in key }
        defer { wipe(&plaintext) }
        return SecureBytes(copying: plaintext)
    }

    /// Seals a partner's one-time-code secret at `place` with their own data key (subject
    /// `partner:<account>`), made on first use (random, wrapped with the newest master key, recorded by
    /// `haven_portal_totp_add_key`): a partner context reads no `data_keys` row. The caller wipes
    /// `plaintext`.
    func sealPartnerSecret(
        _ plaintext: [UInt8],
        at place: SealedPlace,
        on connection: PostgresConnection
    ) async throws -> (sealed: [UInt8], keyID: UUID) {
        for _ in 0..<2 {
            if let record = try await KeyStore.portalTOTPKey(id: nil, on: connection) {
                return (try Sealer.seal(plaintext, with: try unwrap(record), context: place.context), record.id)
            }
            try await requireWrappingVersion(on: connection)
            let id = UUID()
            let secret = try SecureBytes(randomCount: AESGCM.keyCount)
            let wrapped = try ring.wrap(secret, context: wrapContext(id: id, subject: place.subject))
            let added = try await connection.query(
                "SELECT haven_portal_totp_add_key(\(id), \(Int32(wrapped.kekVersion)), \(wrapped.wrapped))"
            )[0].decode(0, as: Bool.self)
            if added {
                let key = DataKey(id: bytes(of: id), secret: secret)
                return (try Sealer.seal(plaintext, with: key, context: place.context), id)
            }
        }
        throw SealingError(.unknownKey, detail: "could not create or find the partner's data key")
    }
}
