import Foundation
import HavenStore
import Postgres
import Sealing

extension KeyManager {
    /// Seals a partner's text at `place` with the chosen chart's active key, the one key a partner
    /// context is handed for sealing (`haven_portal_sealing_key()`, migration 0045).
    ///
    /// - Throws: `SealingError(.unknownKey)` when the chart has no key yet.
    func sealForPartner(
        _ text: String,
        at place: SealedPlace,
        on connection: PostgresConnection
    ) async throws -> (sealed: [UInt8], keyID: UUID) {
        guard let record = try await KeyStore.portalKey(opening: nil, on: connection) else {
            throw SealingError(.unknownKey)
        }
        let key = try unwrap(record)
        var plaintext = Array(text.utf8)
        defer { wipe(&plaintext) }
        return (try Sealer.seal(plaintext, with: key, context: place.context), record.id)
    }

    /// Opens a value a partner may read now: the database hands its key only for such a row
    /// (`haven_portal_opening_key(id)`), asked every time (the cache is not a permission).
    func openForPartner(
        _ sealed: [UInt8],
        keyID: UUID,
        at place: SealedPlace,
        on connection: PostgresConnection
    ) async throws -> String {
        guard let record = try await KeyStore.portalKey(opening: keyID, on: connection) else {
            throw SealingError(.unknownKey)
        }
        let key = try unwrap(record)
        let minimumFormat = UInt8(clamping: try await minimumFormatVersion(on: connection))
        var plaintext = try Sealer.open(sealed, context: place.context, minimumVersion: minimumFormat) { _ in key }
        defer { wipe(&plaintext) }
        return String(decoding: plaintext, as: UTF8.self)
    }
}
