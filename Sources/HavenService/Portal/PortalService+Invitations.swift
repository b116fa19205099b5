import Foundation
import HavenStore
import Postgres
import Sealing

extension PortalService {
    /// An invitation as the counselor hands it over, shown once: the link's token (for
    /// `/portal/welcome/{token}`, sent to the address given) or the code to read out or print.
    public struct Invitation: Sendable {
        public enum Handover: Sendable {
            case link(SessionToken)
            case code(String)
        }

        public var handover: Handover
        public var accountID: UUID
        public var expiresAt: Date
    }

    /// How long an invitation works (the database's `haven_portal_invitation_life`, as staff links).
    public static let invitationLife: Duration = .seconds(72 * 3_600)

    /// Invites `client`, one of the people of `chart`, to the portal: with `email`, a link for that
    /// address; without, a 12-character code (read out in groups of 4). Issuing one supersedes the person's open invitation.
    /// Audited `portal.invite`.
    ///
    /// - Throws: `notFound` naming `chart` (out of the actor's caseload, or the client is not one of its
    ///   people), `conflict` for a paused or discharged chart, a disabled account or an address another
    ///   account holds; `invalidInput` naming `email`.
    public func invite(
        _ client: UUID,
        to chart: ChartReference,
        email: String?,
        actor: StaffActor
    ) async throws -> Invitation {
        let address = email?.trimmingCharacters(in: .whitespaces).lowercased()
        if let address,
            address.isEmpty || address.count > 254
                || address.split(separator: "@", omittingEmptySubsequences: false).count != 2
                || address.contains(where: \.isWhitespace)
        {
            throw ServiceError(.invalidInput, field: "email", "must be an email address")
        }
        let handover: Invitation.Handover
        if address == nil {
            handover = .code(try InvitationKey.generateCode())
        } else {
            handover = .link(try SessionToken.generate())
        }
        let key: InvitationKey =
            switch handover {
            case .link(let token): .link(token)
            case .code(let code): .code(code)
            }
        let hash = key.storageHash ?? []
        let linkKind = address == nil ? "invitation-code" : "invitation-link"
        let row = try await pool.transaction(as: actor) { connection in
            let row = try await connection.query(
                """
                SELECT result, account_id, now() + haven_portal_invitation_life()
                FROM haven_portal_invite(\(client), \(chart.kind), \(chart.id), \(address), \(hash), \(linkKind))
                """
            )[0].decode((String, UUID?, Date).self)
            // A partner seals answers with the couple's key, which only staff can create: a couple
            // whose counselor has sealed nothing yet gets its key now, with the invitation.
            if row.0 == "done", chart.kind == "couple", let keys {
                let subject = KeySubject(kind: .couple, id: chart.id.uuidString.lowercased())
                _ = try await keys.activeKey(practiceID: actor.practiceID, subject: subject, on: connection)
            }
            return row
        }
        switch row.0 {
        case "done":
            guard let account = row.1 else { break }
            return Invitation(handover: handover, accountID: account, expiresAt: row.2)
        case "not-found":
            throw ServiceError(.notFound, field: "chart", "no such chart in your caseload, or the client is not on it")
        case "inactive":
            throw ServiceError(
                .conflict,
                field: "chart",
                "the chart is paused or discharged: the portal is closed for it"
            )
        case "disabled":
            throw ServiceError(.conflict, field: "client", "this person's portal account is disabled")
        case "taken":
            throw ServiceError(.conflict, field: "email", "another portal account signs in with this address")
        default:
            break
        }
        throw ServiceError(.invalidInput, field: "email", "must be an email address")
    }

    /// Turns `client`'s portal access to `chart` off at once: the sessions on it end and its open
    /// invitation stops working. Audited `portal.revoke`.
    ///
    /// - Throws: `notFound` naming `chart` when there was no access or invitation to revoke in reach.
    public func revoke(_ client: UUID, from chart: ChartReference, actor: StaffActor) async throws {
        let result = try await pool.transaction(as: actor) { connection in
            try await connection.query("SELECT haven_portal_revoke(\(client), \(chart.kind), \(chart.id))")[0]
                .decode(0, as: String.self)
        }
        guard result == "done" else {
            throw ServiceError(.notFound, field: "chart", "no portal access to revoke for this person on this chart")
        }
    }

    /// One person of a chart, as the chart's "Portal access" section shows them.
    public struct AccessStatus: Sendable, Equatable {
        public enum State: String, Sendable {
            /// Never invited, or invited and not yet accepted.
            case notInvited
            /// An invitation is open (`invitationExpiresAt`).
            case invited
            /// The person reaches this chart on the portal.
            case active
            /// The counselor turned access off.
            case revoked
        }

        public var clientID: UUID
        public var email: String?
        public var state: State
        public var invitationExpiresAt: Date?
        /// The person has a confirmed one-time-code app (the counselor may reset it).
        public var hasCodeApp = false
    }

    /// The portal status of each person of `chart` (one for a client's chart, two for a couple's).
    ///
    /// - Throws: `notFound` naming `chart` when it is out of the actor's caseload.
    public func status(of chart: ChartReference, actor: StaffActor) async throws -> [AccessStatus] {
        let (rows, withApps) = try await pool.transaction(as: actor) { connection in
            let rows = try await connection.query(
                """
                SELECT client_id, email, access_granted_at IS NOT NULL, access_revoked_at IS NOT NULL,
                       invitation_expires_at
                FROM haven_portal_status(\(chart.kind), \(chart.id))
                """
            ).map { try $0.decode((UUID, String?, Bool, Bool, Date?).self) }
            let withApps = try await connection.query(
                "SELECT haven_portal_totp_enrolled(\(chart.kind), \(chart.id))"
            ).map { try $0.decode(0, as: UUID.self) }
            return (rows, Set(withApps))
        }
        guard !rows.isEmpty else {
            throw ServiceError(.notFound, field: "chart", "no \(chart.kind) with this id in your caseload")
        }
        return rows.map { client, email, granted, revoked, expires in
            let state: AccessStatus.State =
                expires != nil ? .invited : revoked ? .revoked : granted ? .active : .notInvited
            return AccessStatus(
                clientID: client,
                email: email,
                state: state,
                invitationExpiresAt: expires,
                hasCodeApp: withApps.contains(client)
            )
        }
    }

    /// What an open invitation's page shows, or nil for one that does not work (unknown, spent,
    /// superseded, expired, a disabled account or a closed chart: one answer). Spends nothing (it notes
    /// the try only), so a mail scanner fetching the link spends nothing.
    public struct InvitationPage: Sendable, Equatable {
        public var practiceName: String
        /// The sign-in address, or nil when the partner (invited by code) chooses it.
        public var email: String?
        /// The account already has a passphrase: accepting adds the chart and asks for nothing.
        public var hasPassphrase: Bool
    }

    /// The page of `key`'s invitation, after its try is noted and committed (`haven_portal_note_try`:
    /// the database counts code tries against a global budget per window, and refuses past it with the
    /// answer of a wrong code). `source` and `requestID` are kept with the try, never the code or token.
    public func invitation(
        _ key: InvitationKey,
        source: String,
        requestID: String? = nil
    ) async throws
        -> InvitationPage?
    {
        guard let hash = key.storageHash, let ticket = try await noteTry(key, hash, source, requestID) else {
            return nil
        }
        return try await page(ticket, hash)
    }

    /// Notes one try of `key` in its own transaction (committed before any check), and returns the
    /// ticket the check takes.
    func noteTry(
        _ key: InvitationKey,
        _ hash: [UInt8],
        _ source: String,
        _ requestID: String?
    )
        async throws -> UUID?
    {
        // One statement outside a transaction: it commits on its own before `page` or the spend runs.
        try await pool.query("SELECT haven_portal_note_try(\(key.tryKind), \(hash), \(source), \(requestID))")[0]
            .decode(0, as: UUID?.self)
    }

    private func page(_ ticket: UUID, _ hash: [UInt8]) async throws -> InvitationPage? {
        try await pool.query(
            "SELECT practice_name, email, has_passphrase FROM haven_portal_invitation(\(ticket), \(hash))"
        ).singleRow().map {
            let (name, email, has) = try $0.decode((String, String?, Bool).self)
            return InvitationPage(practiceName: name, email: email, hasPassphrase: has)
        }
    }

    /// What accepting an invitation did.
    public enum Accepted: Sendable, Equatable {
        /// The passphrase is set; the partner signs in with their address and it.
        case passphraseSet
        /// The account already had a passphrase: the chart was added to it.
        case chartAdded
    }

    /// Spends an open invitation (the POST from its page): sets the passphrase (the staff password rule,
    /// `StaffService.checkPassword`) and, for a code, the sign-in address; for an account that already
    /// has a passphrase, adds the chart only. Works once: of two concurrent spends, one wins.
    ///
    /// - Throws: `invalidInput` naming `passphrase` or `email`; `conflict` naming `email` for an address
    ///   another account holds; `notFound` naming `invitation` for one that does not work.
    public func accept(
        _ key: InvitationKey,
        email: String?,
        passphrase: String?,
        source: String,
        requestID: String? = nil
    ) async throws -> Accepted {
        try AuthService.checkOrigin(source: source, requestID: requestID)
        let unusable = ServiceError(
            .notFound,
            field: "invitation",
            "this invitation does not work: it was used, replaced by a newer one, or is older than 72 hours; ask your counselor for a new one"
        )
        guard let hash = key.storageHash, let ticket = try await noteTry(key, hash, source, requestID),
            let page = try await page(ticket, hash)
        else { throw unusable }
        var stored: String? = nil
        if !page.hasPassphrase {
            do {
                try StaffService.checkPassword(passphrase ?? "")
            } catch var error as ServiceError {
                error.field = "passphrase"
                throw error
            }
            stored = try await hasher.hash(passphrase ?? "")
        }
        let address = email?.trimmingCharacters(in: .whitespaces).lowercased()
        let answer = try await pool.query(
            "SELECT haven_portal_spend_invitation(\(ticket), \(hash), \(address), \(stored), \(source), \(requestID))"
        )[0].decode(0, as: String.self)
        switch answer {
        case "done": return .passphraseSet
        case "added": return .chartAdded
        case "taken": throw ServiceError(.conflict, field: "email", "another portal account signs in with this address")
        case "invalid": throw ServiceError(.invalidInput, field: "email", "must be an email address")
        default: throw unusable
        }
    }
}
