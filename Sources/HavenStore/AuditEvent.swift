import Foundation

/// What a use case records in the audit log: the action, the record it touched and whose chart that
/// is, and how it ended.
///
/// Who acted (practice, staff member, roles, break-glass mode), from where (source, request id) and
/// when are deliberately not part of it: the database takes them from the transaction's context
/// (`haven_audit_append`, migration 0025), so no caller can record an entry in another's name.
public struct AuditEvent: Sendable, Equatable {
    /// What happened (`AuditEvent.Action`: every action in one place).
    public var action: Action
    /// The kind of record `entityID` names.
    public var entityType: EntityType?
    public var entityID: UUID?
    /// The clients whose chart the record belongs to (the accounting of disclosures filters on them).
    public var clientIDs: [UUID]
    public var outcome: AuditEntry.Outcome
    /// A SHA-256 digest of what the entry is about (a signed note's content hash), if any.
    public var digest: [UInt8]?

    public init(
        action: Action,
        entityType: EntityType? = nil,
        entityID: UUID? = nil,
        clientIDs: [UUID] = [],
        outcome: AuditEntry.Outcome = .success,
        digest: [UInt8]? = nil
    ) {
        self.action = action
        self.entityType = entityType
        self.entityID = entityID
        self.clientIDs = clientIDs
        self.outcome = outcome
        self.digest = digest
    }
}
