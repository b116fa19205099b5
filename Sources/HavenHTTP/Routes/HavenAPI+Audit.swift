import Foundation
import HavenService
import HavenStore
import Hummingbird
import Sealing

extension HavenAPI {
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
            // The role first: a refused caller is on record whatever else the request holds.
            try await audit.authorize(action: .auditList, actor: actor)
            let limit = try Page<StoredAuditEntry>.limit(request)
            let entries = try await audit.list(
                try AuditQuery.filter(
                    request,
                    practiceID: actor.practiceID,
                    limit: limit + 1,
                    dates: .instants,
                    paging: .oldestFirst
                ),
                actor: actor
            )
            let page = entries.prefix(limit)
            return try APIJSON.response(
                Page(
                    items: Array(page),
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
}
