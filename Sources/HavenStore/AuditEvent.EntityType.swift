extension AuditEvent {
    /// The kind of record an entry is about (its `entity_id` names the record), in one place; the raw
    /// value is what the log stores and its hash chain covers.
    public enum EntityType: String, Sendable, CaseIterable {
        case practice
        case staff
        /// A staff member's caseload (the entity id is the staff member's): a list across charts.
        case caseload
        case client
        case couple
        case session
        case note
        case psychotherapyNote = "psychotherapy_note"
        case injury
        case goal
        case prompt
        case homeworkAssignment = "homework_assignment"
        /// A series given to a couple (`homework_series_assignments`, migration 0056).
        case homeworkSeriesAssignment = "homework_series_assignment"
        case measure
        case report
        case reportSummary = "report_summary"
        /// A staff change waiting for (or decided by) a second admin (`staff_change_proposals`).
        case staffChange = "staff_change"
        /// A partner's portal account (`partner_accounts`, migration 0043).
        case partnerAccount = "partner_account"
    }
}
