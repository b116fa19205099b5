import Foundation
import HavenService
import HavenStore
import Hummingbird
import Sealing

extension HavenAPI {
    struct AuditLine: Encodable {
        var seq: Int
        var occurredAt: Date
        var staffId: String?
        var roles: [String]
        var breakGlass: Bool
        var action: String
        var entityType: String?
        var entityId: String?
        var clientIds: [String]
        var outcome: String
        var source: String
        var requestId: String?
        var hash: String
    }

    struct AuditVerification: Encodable {
        var intact: Bool
        var entries: Int
        var headSeq: Int?
        var headHash: String?
        var firstBreakSeq: Int?
        var firstBreakReason: String?
    }

    /// The practice's audit log, for admins: filtered pages (cursor: the last `seq` seen) and a walk
    /// of the hash chain. Both reads are themselves audited.
    func addAudit(to v1: RouterGroup<HavenRequestContext>) {
        let audit = AuditService(pool: pool)
        v1.get("/audit") { request, context in
            let actor = try context.requireActor()
            let query = request.uri.queryParameters
            func text(_ name: String) -> String? {
                query.get(name).map { String($0) }.flatMap { $0.isEmpty ? nil : $0 }
            }
            func id(_ name: String) throws -> UUID? {
                try text(name).map { value in
                    guard let id = UUID(uuidString: value) else { throw Self.badParameter(name, "must be a UUID") }
                    return id
                }
            }
            func instant(_ name: String) throws -> Date? {
                try text(name).map { value in
                    guard let date = try? Date(value, strategy: .iso8601) else {
                        throw Self.badParameter(
                            name,
                            "must be an ISO 8601 date-time with an offset, e.g. 2026-11-01T00:00:00Z"
                        )
                    }
                    return date
                }
            }
            let outcome = try text("outcome").map { value in
                guard let outcome = AuditEntry.Outcome(rawValue: value) else {
                    throw Self.badParameter("outcome", "is success, denied or failed")
                }
                return outcome
            }
            let breakGlass: Bool
            switch text("breakGlass") {
            case nil, "false": breakGlass = false
            case "true": breakGlass = true
            default: throw Self.badParameter("breakGlass", "is true or false")
            }
            let after = try text("cursor").map { value in
                guard let seq = Int(value), seq >= 0 else { throw Self.badParameter("cursor", "is a nextCursor value") }
                return seq
            }
            let action = text("action")
            guard (action?.count ?? 0) <= 100 else { throw Self.badParameter("action", "is at most 100 characters") }
            let limit = try Page<AuditLine>.limit(request)
            let entries = try await audit.list(
                AuditStore.Filter(
                    practiceID: actor.practiceID,
                    clientID: try id("clientId"),
                    staffID: try id("staffId"),
                    action: action,
                    from: try instant("from"),
                    to: try instant("to"),
                    breakGlassOnly: breakGlass,
                    outcome: outcome,
                    afterSeq: after,
                    limit: limit + 1
                ),
                actor: actor
            )
            let page = entries.prefix(limit)
            return try APIJSON.response(
                Page(
                    items: page.map { stored in
                        let entry = stored.entry
                        return AuditLine(
                            seq: stored.seq,
                            occurredAt: entry.occurredAt,
                            staffId: entry.staffID?.uuidString.lowercased(),
                            roles: entry.staffRoles,
                            breakGlass: entry.breakGlass,
                            action: entry.action,
                            entityType: entry.entityType,
                            entityId: entry.entityID?.uuidString.lowercased(),
                            clientIds: entry.clientIDs.map { $0.uuidString.lowercased() },
                            outcome: entry.outcome.rawValue,
                            source: entry.source,
                            requestId: entry.requestID,
                            hash: Hex.encode(stored.hash)
                        )
                    },
                    nextCursor: entries.count > limit ? page.last.map { String($0.seq) } : nil
                )
            )
        }
        v1.get("/audit/verification") { _, context in
            let result = try await audit.verify(actor: try context.requireActor())
            return try APIJSON.response(
                AuditVerification(
                    intact: result.firstBreak == nil,
                    entries: result.count,
                    headSeq: result.headSeq,
                    headHash: result.headHash.map(Hex.encode),
                    firstBreakSeq: result.firstBreak?.seq,
                    firstBreakReason: result.firstBreak?.reason
                )
            )
        }
    }

    /// A 400 for a query parameter that is not what the route takes.
    static func badParameter(_ name: String, _ problem: String) -> APIError {
        APIError(status: .badRequest, kind: "bad-parameter", detail: "\(name) \(problem)", field: name)
    }
}
