import Foundation
import HavenStore
import Postgres

/// The partner a portal use case acts for: their session and where the request came from.
///
/// As for staff, the database trusts nothing here but the session: every transaction opens its
/// partner context from `sessionHash` (`haven_open_partner_context`, migration 0043), which gives the
/// partner's practice, client and chosen chart and no staff reach at all.
public struct PartnerActor: Sendable, Equatable {
    /// SHA-256 of the portal session token (`SessionToken.storageHash`).
    public var sessionHash: [UInt8]
    /// The HTTP client's address (or a test's name): the audit log's source.
    public var source: String
    public var requestID: String?

    public init(sessionHash: [UInt8], source: String, requestID: String? = nil) {
        self.sessionHash = sessionHash
        self.source = source
        self.requestID = requestID
    }
}

/// What a partner's context holds: the practice, the person, the account and the chart chosen (nil
/// until the partner chooses, when the account reaches two charts).
public struct PartnerContext: Sendable, Equatable {
    public var practiceID: UUID
    public var clientID: UUID
    public var accountID: UUID
    public var chart: ChartReference?
    /// The chart's clients (the client, or both partners), or the partner alone before a choice: what
    /// the partner's audit entries name.
    public var chartClientIDs: [UUID]
    /// The chosen chart is in safety mode (an open high-risk flag on the couple): sharing is off and the
    /// portal links its safety page from every page. Read by `PortalService.context` only.
    public var safetyMode = false
}

extension ConnectionPool {
    /// Runs `body` in a transaction whose partner context is opened from the actor's session (in
    /// BEGIN's round trip), with what the context holds.
    ///
    /// - Throws: `ServiceError.sessionExpired` when the session is not live (signed out, idle, expired,
    ///   the account disabled, or the chosen chart paused, discharged or its access revoked).
    @discardableResult
    func transaction<Value: Sendable>(
        asPartner actor: PartnerActor,
        _ body: @Sendable @escaping (isolated PostgresConnection, PartnerContext) async throws -> Value
    ) async throws -> Value {
        try AuthService.checkOrigin(source: actor.source, requestID: actor.requestID)
        let context: PostgresQuery = """
            SELECT practice_id, client_id, account_id, chart_kind, chart_id, chart_clients
            FROM haven_open_partner_context(\(actor.sessionHash), \(actor.source), \(actor.requestID))
            """
        do {
            return try await withConnection { connection in
                try await connection.transaction(isolation: .readCommitted, prologue: [context]) { connection, rows in
                    let (practice, client, account, kind, chart, clients) = try rows[0][0].decode(
                        (UUID, UUID, UUID, String?, UUID?, [UUID]).self
                    )
                    let reference: ChartReference? =
                        switch (kind, chart) {
                        case ("couple"?, let id?): .couple(id)
                        case ("client"?, let id?): .client(id)
                        default: nil
                        }
                    return try await body(
                        connection,
                        PartnerContext(
                            practiceID: practice,
                            clientID: client,
                            accountID: account,
                            chart: reference,
                            chartClientIDs: clients
                        )
                    )
                }
            }
        } catch let error as PostgresError where error.sqlState == Self.sessionNotLive {
            throw ServiceError.sessionExpired
        }
    }
}
