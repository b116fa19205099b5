/// The tables that hold a practice's data: each has forced row-level security, and the application
/// role cannot widen its reach over any of them.
enum ProtectedTables {
    static let all = [
        "practices", "data_keys", "staff", "supervision_links", "staff_sessions", "audit_log", "clients",
        "couples", "therapy_sessions", "progress_notes", "note_addenda", "note_cosignatures", "psychotherapy_notes",
        "homework_prompts", "homework_assignments", "homework_responses", "measure_definitions",
        "measure_administrations", "attachment_injuries", "treatment_goals", "cycle_maps",
        "are_ratings", "risk_flag_closures", "staff_change_proposals", "partner_accounts", "partner_chart_access",
        "partner_sessions", "partner_links", "notification_outbox", "notification_opt_outs", "portal_answer_drafts",
        "measure_schedules", "staff_session_activity", "partner_session_activity", "session_sign_outs",
    ]
}
