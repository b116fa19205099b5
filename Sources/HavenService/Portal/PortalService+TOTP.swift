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
    /// - Throws: `conflict` when an app is confirmed already (remove it first).
    public func beginCodeApp(_ actor: PartnerActor) async throws -> TOTPService.Enrollment {
        let keys = try codeKeys()
        let totp = try TOTP.generate()
        let email = try await pool.transaction(asPartner: actor) { connection, context in
            let (email, confirmed) = try await connection.query("SELECT email, confirmed FROM haven_portal_totp_own()")[
                0
            ]
            .decode((String?, Bool).self)
            guard !confirmed else { throw Self.codeAppEnrolled }
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
    /// - Throws: `notFound` with nothing enrolling; `invalidInput` (field `code`) for a wrong code.
    public func confirmCodeApp(code: String, actor: PartnerActor) async throws {
        try await withCheckedCode(code, confirmed: false, actor: actor, function: "haven_portal_totp_confirm")
    }

    /// Removes the partner's app, proven with a current code; sign-in asks for the passphrase (or link)
    /// alone again.
    ///
    /// - Throws: `notFound` with no app; `invalidInput` (field `code`) for a wrong or used code.
    public func removeCodeApp(code: String, actor: PartnerActor) async throws {
        try await withCheckedCode(code, confirmed: true, actor: actor, function: "haven_portal_totp_remove")
    }

    /// Checks `code` against the partner's secret (enrolling or confirmed) and hands its attested step
    /// (nil: no match) to `function`, which audits either way; the transaction commits both ways.
    private func withCheckedCode(
        _ code: String,
        confirmed: Bool,
        actor: PartnerActor,
        function: StaticString
    ) async throws {
        let keys = try codeKeys()
        let accepted = try await pool.transaction(asPartner: actor) { connection, context in
            let (sealed, isConfirmed, lastUsed) = try await connection.query(
                "SELECT secret, confirmed, last_used_step FROM haven_portal_totp_own()"
            )[0].decode(([UInt8]?, Bool, Int64?).self)
            guard let sealed, isConfirmed == confirmed else {
                throw ServiceError(
                    .notFound,
                    confirmed ? "you have no code app" : "no code app is waiting to be confirmed; start again"
                )
            }
            let totp = TOTP(
                secret: try await keys.openSecondFactorSecret(
                    sealed,
                    at: Self.codeAppPlace(context.accountID),
                    from: .partner,
                    on: connection
                )
            )
            let step = totp.matchingStep(for: code, at: Date()).flatMap { $0 > lastUsed ?? .min ? $0 : nil }
            let attestation = step.map { keys.attest(step: $0, sessionHash: actor.sessionHash) }
            return try await connection.query(
                "SELECT \(unescaped: function)(\(step), \(attestation?.version), \(attestation?.mac))"
            )[0].decode(0, as: Bool.self)
        }
        guard accepted else { throw Self.wrongCode }
    }

    static let wrongCode = ServiceError(
        .invalidInput,
        field: "code",
        "that is not the code your app shows now (or it was used already); check your phone's clock and try the next code"
    )

    /// The master key, which checks every code.
    private func codeKeys() throws -> KeyManager {
        guard let keys else {
            throw ServiceError(
                .unauthenticated,
                reason: "totp-unavailable",
                "one-time codes cannot be checked right now; please try again later"
            )
        }
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
    ///   `sign-in-paused` past the pause; `invalidInput` (field `code`) for a wrong or used code.
    public func completeSignIn(
        token: SessionToken,
        code: String,
        source: String,
        requestID: String? = nil
    ) async throws -> SignIn {
        try AuthService.checkOrigin(source: source, requestID: requestID)
        let keys = try codeKeys()
        let candidate = String(code.filter(\.isNumber).prefix(12))
        let hash = token.storageHash
        // Noted (committed) only for the sign-in waiting under the token (migration 0059): nobody
        // without it can count failures against the partner's address.
        guard
            let ticket = try await pool.query(
                "SELECT haven_portal_note_code_try(\(hash), \(candidate), \(source), \(requestID))"
            )[0].decode(0, as: UUID?.self)
        else { throw Self.codeSignInExpired }
        let (outcome, expiry) = try await pool.transaction { connection -> (String, Date) in
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
            let step = totp.matchingStep(for: candidate, at: Date()).flatMap { $0 > lastUsed ?? .min ? $0 : nil }
            let attestation = step.map { keys.attest(step: $0, sessionHash: hash) }
            let outcome = try await connection.query(
                """
                SELECT haven_portal_second_factor(\(ticket), \(candidate), \(step), \(attestation?.version), \
                \(attestation?.mac))
                """
            )[0].decode(0, as: String.self)
            return (outcome, expiry)
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
