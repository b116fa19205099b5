import Foundation
import HavenStore
import Postgres
import Sealing

/// A partner's one-time-code app (issue #16; docs/portal.md "Access"): enrolled, confirmed and removed
/// by the partner, reset by their counselor, and asked for at every sign-in once confirmed. The staff
/// app's parts throughout: `TOTP`, the QR code, the master key's step attestation (migration 0057).
extension PortalService {
    /// Where a partner's app stands.
    public struct CodeAppStatus: Sendable, Equatable {
        /// A confirmed app: every sign-in asks for its code.
        public var enrolled: Bool
        /// An app was enrolled and its first code not yet given.
        public var pending: Bool

        public init(enrolled: Bool, pending: Bool) {
            self.enrolled = enrolled
            self.pending = pending
        }
    }

    /// The partner's app.
    public func codeAppStatus(_ actor: PartnerActor) async throws -> CodeAppStatus {
        try await pool.transaction(asPartner: actor) { connection, _ in
            let (hasSecret, confirmed) = try await connection.query(
                "SELECT secret IS NOT NULL, confirmed FROM haven_portal_totp_own()"
            )[0].decode((Bool, Bool).self)
            return CodeAppStatus(enrolled: confirmed, pending: hasSecret && !confirmed)
        }
    }

    /// Starts enrolling an app (replacing an unconfirmed one): the secret is made here, sealed with the
    /// partner's own key and shown once. Sign-in asks for nothing until `confirmCodeApp` gets a code.
    ///
    /// - Throws: `conflict` when an app is confirmed already (remove it first);
    ///   `KeyManager.codesUnavailable` (reason `totp-unavailable`) when codes cannot be checked.
    public func beginCodeApp(_ actor: PartnerActor) async throws -> TOTPService.Enrollment {
        let keys = try codeKeys()
        let totp = try TOTP.generate()
        let email = try await pool.transaction(asPartner: actor) { connection, context in
            let (email, confirmed) = try await connection.query("SELECT email, confirmed FROM haven_portal_totp_own()")[
                0
            ]
            .decode((String?, Bool).self)
            guard !confirmed else { throw Self.codeAppEnrolled }
            // An app whose codes cannot be checked could never be confirmed: refused before anything is kept.
            try await keys.requireAttestation(on: connection)
            var plaintext = totp.secret.withUnsafeBytes { Array($0) }
            defer { wipe(&plaintext) }
            let (sealed, keyID) = try await keys.sealPartnerSecret(
                plaintext,
                at: Self.codeAppPlace(context.accountID),
                on: connection
            )
            _ = try await connection.query("SELECT haven_portal_totp_enroll(\(sealed), \(keyID))")
            return email
        }
        return TOTPService.Enrollment(
            secret: totp.base32Secret,
            uri: totp.provisioningURI(issuer: TOTPService.issuer, account: email ?? "portal")
        )
    }

    static let codeAppEnrolled = ServiceError(
        .conflict,
        "you already have a code app; remove it first (with a current code) to set up another"
    )

    /// Confirms the enrolling app with a code it shows: from now on every sign-in asks for one.
    ///
    /// - Throws: `notFound` with nothing enrolling; `invalidInput` (field `code`) for a wrong code;
    ///   `codesPaused` past five wrong codes; `KeyManager.codesUnavailable` when codes cannot be checked.
    public func confirmCodeApp(code: String, actor: PartnerActor) async throws {
        try await withCheckedCode(code, confirmed: false, actor: actor, function: "haven_portal_totp_confirm")
    }

    /// Removes the partner's app, proven with a current code; sign-in asks for the passphrase (or link)
    /// alone again.
    ///
    /// - Throws: `notFound` with no app; `invalidInput` (field `code`) for a wrong or used code;
    ///   `codesPaused` past five wrong codes; `KeyManager.codesUnavailable` when codes cannot be checked.
    public func removeCodeApp(code: String, actor: PartnerActor) async throws {
        try await withCheckedCode(code, confirmed: true, actor: actor, function: "haven_portal_totp_remove")
    }

    /// Checks `code` against the partner's secret (enrolling or confirmed) as the sign-in's code step does
    /// (migration 0061): the try is noted and committed first as a `partner-code` sign-in try of the
    /// account (`haven_portal_totp_note_try`), then `function` takes its ticket and the code's attested
    /// step (nil: no match), passes THE sign-in check (one count with the code step: five failures in
    /// its window pause the account's codes), changes the app on success and audits either way; that
    /// transaction commits both ways. Nothing is noted when codes cannot be checked.
    private func withCheckedCode(
        _ code: String,
        confirmed: Bool,
        actor: PartnerActor,
        function: StaticString
    ) async throws {
        let keys = try codeKeys()
        let candidate = String(code.filter(\.isNumber).prefix(12))
        let ticket = try await pool.transaction(asPartner: actor) { connection, _ in
            try Self.requireCodeApp(confirmed: confirmed, try await Self.ownCodeApp(on: connection))
            // Checked before the try is noted: a code that cannot be checked is not counted against anyone.
            try await keys.requireAttestation(on: connection)
            return try await connection.query("SELECT haven_portal_totp_note_try(\(candidate))")[0]
                .decode(0, as: UUID.self)
        }
        let verdict = try await KeyManager.checkingAttestation {
            try await pool.transaction(asPartner: actor) { connection, context in
                let app = try await Self.ownCodeApp(on: connection)
                let sealed = try Self.requireCodeApp(confirmed: confirmed, app)
                let totp = TOTP(
                    secret: try await keys.openSecondFactorSecret(
                        sealed,
                        at: Self.codeAppPlace(context.accountID),
                        from: .partner,
                        on: connection
                    )
                )
                let attested = keys.attestedStep(
                    of: candidate,
                    on: totp,
                    after: app.lastUsed,
                    sessionHash: actor.sessionHash
                )
                return try await connection.query(
                    """
                    SELECT \(unescaped: function)(\(ticket), \(candidate), \(attested?.step), \(attested?.version), \
                    \(attested?.mac))
                    """
                )[0].decode(0, as: String.self)
            }
        }
        switch verdict {
        case "done": return
        case "paused": throw Self.codesPaused
        default: throw Self.wrongCode
        }
    }

    /// The partner's own app as `haven_portal_totp_own()` answers it (the row locked for the transaction).
    private static func ownCodeApp(
        on connection: PostgresConnection
    ) async throws -> (sealed: [UInt8]?, confirmed: Bool, lastUsed: Int64?) {
        let (sealed, confirmed, lastUsed) = try await connection.query(
            "SELECT secret, confirmed, last_used_step FROM haven_portal_totp_own()"
        )[0].decode(([UInt8]?, Bool, Int64?).self)
        return (sealed, confirmed, lastUsed)
    }

    /// The sealed secret of an app in the state asked for (confirmed, or waiting to be), or `notFound`.
    @discardableResult
    private static func requireCodeApp(
        confirmed: Bool,
        _ app: (sealed: [UInt8]?, confirmed: Bool, lastUsed: Int64?)
    ) throws -> [UInt8] {
        guard let sealed = app.sealed, app.confirmed == confirmed else {
            throw ServiceError(
                .notFound,
                confirmed ? "you have no code app" : "no code app is waiting to be confirmed; start again"
            )
        }
        return sealed
    }

    /// Five codes in a row did not match (the sign-in's pause, `haven_sign_in_try_limit()` in its window):
    /// nothing is checked for the account's codes until the window has passed.
    static let codesPaused = ServiceError(
        .forbidden,
        field: "code",
        reason: "code-paused",
        "too many codes did not match; wait 15 minutes, then try again"
    )

    static let wrongCode = ServiceError(
        .invalidInput,
        field: "code",
        "that is not the code your app shows now (or it was used already); check your phone's clock and try the next code"
    )

    /// The master key, which checks every code.
    private func codeKeys() throws -> KeyManager {
        guard let keys else { throw KeyManager.codesUnavailable }
        return keys
    }

    /// Where a partner's sealed secret lives (subject `partner:<account>`).
    static func codeAppPlace(_ accountID: UUID) -> SealedPlace {
        SealedPlace(
            subject: KeySubject(kind: .partner, id: accountID.uuidString.lowercased()),
            table: "partner_totp",
            column: "secret",
            rowID: accountID
        )
    }

    // MARK: - Signing in

    /// Whether a sign-in waits under `token` for its code (at most five minutes). Writes nothing.
    public func codeAwaited(_ token: SessionToken) async throws -> Bool {
        try await pendingAddress(token) != nil
    }

    private func pendingAddress(_ token: SessionToken) async throws -> String? {
        try await pool.query("SELECT email FROM haven_portal_pending_sign_in(\(token.storageHash))").singleRow()
            .map { try $0.decode(0, as: String?.self) ?? "" }
    }

    /// The code step of a sign-in that answered `codeNeeded`: the try is noted (committed) first under
    /// the account's address as a `partner-code` try of the waiting sign-in, then checked (`haven_portal_second_factor`). A
    /// right code makes the waiting session live (same token); a wrong one leaves it waiting; five wrong
    /// codes pause the code step for 15 minutes and end the sign-in.
    ///
    /// - Throws: `unauthenticated` with reason `sign-in-expired` when no sign-in waits under `token`,
    ///   `sign-in-paused` past the pause, `totp-unavailable` when codes cannot be checked (no try noted,
    ///   the sign-in still waits); `invalidInput` (field `code`) for a wrong or used code.
    public func completeSignIn(
        token: SessionToken,
        code: String,
        source: String,
        requestID: String? = nil
    ) async throws -> SignIn {
        try AuthService.checkOrigin(source: source, requestID: requestID)
        let keys = try codeKeys()
        // Checked before the try is noted: a code that cannot be checked is not counted against the partner.
        try await pool.withConnection { try await keys.requireAttestation(on: $0) }
        let candidate = String(code.filter(\.isNumber).prefix(12))
        let hash = token.storageHash
        // Noted (committed) only for the sign-in waiting under the token (migration 0059): nobody
        // without it can count failures against the partner's address.
        guard
            let ticket = try await pool.query(
                "SELECT haven_portal_note_code_try(\(hash), \(candidate), \(source), \(requestID))"
            )[0].decode(0, as: UUID?.self)
        else { throw Self.codeSignInExpired }
        let (outcome, expiry) = try await KeyManager.checkingAttestation {
            try await pool.transaction { connection -> (String, Date) in
                let row: PostgresRow
                do {
                    row = try await connection.query(
                        """
                        SELECT account_id, totp_secret, totp_last_used_step, absolute_expires_at
                        FROM haven_portal_open_pending_context(\(hash), \(source), \(requestID))
                        """
                    )[0]
                } catch let error as PostgresError where error.sqlState == "28000" {
                    throw Self.codeSignInExpired
                }
                let (account, sealed, lastUsed, expiry) = try row.decode((UUID, [UInt8], Int64?, Date).self)
                let totp = TOTP(
                    secret: try await keys.openSecondFactorSecret(
                        sealed,
                        at: Self.codeAppPlace(account),
                        from: .partner,
                        on: connection
                    )
                )
                let attested = keys.attestedStep(of: candidate, on: totp, after: lastUsed, sessionHash: hash)
                let outcome = try await connection.query(
                    """
                    SELECT haven_portal_second_factor(\(ticket), \(candidate), \(attested?.step), \(attested?.version), \
                    \(attested?.mac))
                    """
                )[0].decode(0, as: String.self)
                return (outcome, expiry)
            }
        }
        switch outcome {
        case "signed-in":
            let actor = PartnerActor(sessionHash: hash, source: source, requestID: requestID)
            let context = try await context(actor)
            let charts = context.chart == nil ? try await charts(actor).count : 1
            return SignIn(token: token, actor: actor, charts: charts, absoluteExpiry: expiry)
        case "paused":
            throw AuthService.paused
        default:
            throw Self.wrongCode
        }
    }

    static let codeSignInExpired = ServiceError(
        .unauthenticated,
        reason: "sign-in-expired",
        "this sign-in waited too long for its code; please sign in again"
    )

    // MARK: - The counselor

    /// Removes the app of `client` on `chart` (a partner who lost their phone), so their next sign-in
    /// asks for no code, and ends their sign-ins waiting for one. Audited `portal.totp.reset`.
    ///
    /// - Throws: `notFound` naming `client` when they have no app or are out of reach.
    public func resetCodeApp(of client: UUID, on chart: ChartReference, actor: StaffActor) async throws {
        let result = try await pool.transaction(as: actor) { connection in
            try await connection.query("SELECT haven_portal_totp_reset(\(client), \(chart.kind), \(chart.id))")[0]
                .decode(0, as: String.self)
        }
        guard result == "done" else {
            throw ServiceError(.notFound, field: "client", "this person has no code app to reset")
        }
    }
}
