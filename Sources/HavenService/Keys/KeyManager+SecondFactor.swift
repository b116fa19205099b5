import Foundation
import HavenStore
import Postgres
import Sealing

extension KeyManager {
    /// Opens the sealed one-time-code secret of the sign-in the transaction's pending context waits for.
    /// A pending context is no staff context and reads no `data_keys` row, so the database hands the one
    /// key of the staff member's own subject (`haven_second_factor_key(id)`, migration 0050), asked every
    /// time (the cache is not a permission).
    func openSecondFactorSecret(
        _ sealed: [UInt8],
        at place: SealedPlace,
        on connection: PostgresConnection
    ) async throws -> SecureBytes {
        let minimumFormat = UInt8(clamping: try await minimumFormatVersion(on: connection))
        let value = try SealedValue(parsing: sealed, minimumVersion: minimumFormat)
        let id = UUID(uuid: uuidTuple(value.keyID))
        guard let record = try await KeyStore.secondFactorKey(id: id, on: connection) else {
            throw SealingError(.unknownKey)
        }
        let key = try unwrap(record)
        var plaintext = try Sealer.open(sealed, context: place.context, minimumVersion: minimumFormat) { _ in key }
        defer { wipe(&plaintext) }
        return SecureBytes(copying: plaintext)
    }
}
