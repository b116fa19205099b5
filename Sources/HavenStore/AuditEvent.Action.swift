extension AuditEvent {
    /// Every action the audit log records, in one place: a dotted verb whose raw value is what the log
    /// stores (and its hash chain covers), so a raw value never changes once entries carry it.
    ///
    /// Most are appended by the service (`AuditStore.appendStatements`); the last group is written by
    /// the database's own functions (sign-in, sign-out, second-factor steps, closing a grant) and is
    /// listed so this catalogue is complete for anyone filtering the log.
    public enum Action: String, Sendable, CaseIterable {
        /// The longest action the log stores (its `audit_log_action_length` CHECK, migration 0004): the
        /// bound on an action a reader filters by, too.
        public static let maximumLength = 100

        // Staff, practices and the second factor.
        case staffCreate = "staff.create"
        case staffDisable = "staff.disable"
        case staffSupervise = "staff.supervise"
        case staffUnsupervise = "staff.unsupervise"
        case staffRolesSet = "staff.roles.set"
        case staffPasswordReset = "staff.password.reset"
        case staffSessionOpen = "staff.session.open"
        case staffSessionEnd = "staff.session.end"
        case staffTOTPRequired = "staff.totp.required"
        /// A scheduler-only actor asked for something outside the calendar (always denied).
        case staffCalendarOnly = "staff.calendar_only"
        case staffTOTPConfirm = "staff.totp.confirm"
        case staffTOTPRemove = "staff.totp.remove"
        case staffTOTPReset = "staff.totp.reset"
        case practiceTOTPRequire = "practice.totp.require"
        case practiceTOTPOptional = "practice.totp.optional"
        /// An admin set (or cleared) the practice's safety page (migration 0048), a refusal too.
        case practiceSafetyPageSet = "practice.safety_page.set"
        /// An admin set how many hours before an appointment its reminder goes out (migration 0058), a
        /// refusal too.
        case practiceReminderHoursSet = "practice.reminder_hours.set"
        case breakGlassOpen = "break_glass.open"

        // Charts.
        case clientCreate = "client.create"
        case clientRead = "client.read"
        case clientList = "client.list"
        case clientExport = "client.export"
        case clientExportPsychotherapyNotes = "client.export.psychotherapy_notes"
        /// The review before releasing an export: what in it concerns the other partner (no text).
        case clientExportReview = "client.export.review"
        case coupleCreate = "couple.create"
        case coupleRead = "couple.read"
        case coupleList = "couple.list"
        /// A counselor set a couple's care status (active, paused, discharged), or was refused; the
        /// entity is the couple, with both partners.
        case coupleStatusSet = "couple.status.set"
        /// A counselor set an individual client chart's care status, or was refused.
        case clientStatusSet = "client.status.set"
        /// A counselor's day (`haven today`): names and times across their caseload, no clinical text.
        case dayRead = "day.read"
        case injuryRecord = "injury.record"
        case injuryUpdate = "injury.update"
        case injuryList = "injury.list"
        case goalAdd = "goal.add"
        case goalUpdate = "goal.update"
        case goalList = "goal.list"
        case cycleMapRevise = "cycle_map.revise"
        case cycleMapRead = "cycle_map.read"
        /// A counselor closed a couple's open high-risk flag with a reason (the entity is the note
        /// whose high risk it closes).
        case riskFlagClose = "risk_flag.close"

        // Sessions.
        case sessionSchedule = "session.schedule"
        case sessionScheduleRiskOverride = "session.schedule.risk_override"
        /// A session booked over another of the same counselor on purpose (`allowOverlap`).
        case sessionScheduleOverlap = "session.schedule.overlap"
        /// A session's recorded status corrected, with a reason.
        case sessionStatusCorrect = "session.status.correct"
        /// A scheduled session moved to another time or length (`SessionService.reschedule`).
        case sessionReschedule = "session.reschedule"
        case sessionList = "session.list"
        /// One session read (`GET /v1/therapy-sessions/{id}`, `haven session show`).
        case sessionRead = "session.read"
        case sessionCompleted = "session.completed"
        case sessionCancelled = "session.cancelled"
        case sessionLateCancelled = "session.late_cancelled"
        case sessionNoShow = "session.no_show"

        // Notes.
        case noteWrite = "note.write"
        case noteEdit = "note.edit"
        case noteSign = "note.sign"
        case noteRead = "note.read"
        case noteList = "note.list"
        case noteAddend = "note.addend"
        case noteReadAddenda = "note.read_addenda"
        case noteCosign = "note.cosign"
        case noteIntegrity = "note.integrity"
        case psychotherapyNoteWrite = "psychotherapy_note.write"
        case psychotherapyNoteRead = "psychotherapy_note.read"

        // Homework.
        case homeworkPromptAdd = "homework.prompt.add"
        case homeworkAssign = "homework.assign"
        case homeworkAssignRiskOverride = "homework.assign.risk_override"
        /// A series of steps assigned (migration 0056); `.risk_override` when joint steps passed the gate.
        case homeworkSeriesAssign = "homework.series.assign"
        case homeworkSeriesAssignRiskOverride = "homework.series.assign.risk_override"
        case homeworkRespond = "homework.respond"
        case homeworkRead = "homework.read"
        case homeworkList = "homework.list"

        // Measures.
        case measureDefine = "measure.define"
        case measureRecord = "measure.record"
        case measureTrend = "measure.trend"
        /// A wrong administration voided with a reason (kept, left out of trends and reports).
        case measureVoid = "measure.void"
        /// A counselor scheduled a CSI form for a couple's partner(s) to answer on the portal
        /// (migration 0055, written by the database); the entity is the couple.
        case measureSchedule = "measure.schedule"
        /// A counselor ended a portal measure schedule: nothing more is due from it.
        case measureScheduleEnd = "measure.schedule.end"
        case areRate = "are.rate"
        case areRead = "are.read"

        // Reports and the audit log itself.
        case reportGenerate = "report.generate"
        case reportSummarySet = "report.summary.set"
        case auditList = "audit.list"
        case auditVerify = "audit.verify"
        /// An admin reads the staff directory with roles, supervision and the practice's settings
        /// (`GET /v1/staff`, the admin pages): no clinical record.
        case staffList = "staff.list"
        /// An admin reads the practice's key status (counts of keys by state and master key version,
        /// the admin pages): no key material, no clinical record.
        case keyStatus = "keys.status"
        /// A partner read the portal's home page (their homework and next appointment) on a chart.
        case portalHomeRead = "portal.home.read"
        /// A partner read their own answers and drafts and what the other partner shared with them.
        case portalAnswerRead = "portal.answer.read"
        /// A partner read their questionnaires: what is due from them, one due questionnaire, or their own
        /// totals (migration 0080).
        case portalMeasureRead = "portal.measure.read"

        // Written by the database's functions (migrations 0025 and 0027), never by the service.
        case staffLogin = "staff.login"
        case staffLogout = "staff.logout"
        case staffTOTPBegin = "staff.totp.begin"
        case breakGlassClose = "break_glass.close"

        // An admin's staff changes from the web (migration 0040), written by the database's functions.
        /// A disabled account re-enabled by an admin.
        case staffEnable = "staff.enable"
        /// A widening change (a clinical or admin role, a supervision link, an optional TOTP policy)
        /// proposed by an admin; the entity is the proposal (`staff_change`).
        case staffChangePropose = "staff.change.propose"
        /// A second admin approved a proposal (the change itself follows with its own action).
        case staffChangeApprove = "staff.change.approve"
        /// Another admin declined a proposal.
        case staffChangeReject = "staff.change.reject"
        /// The proposer withdrew their proposal.
        case staffChangeWithdraw = "staff.change.withdraw"

        // One-time set-password links (migration 0042), written by the database's functions.
        /// A staff member set their own password with a link an admin issued (`staff.create` or
        /// `staff.password.reset`); the entry's staff member is the account itself.
        case staffPasswordSet = "staff.password.set"

        // The partner portal (migration 0043), written by the database's functions. A partner's own
        // entries carry the partner as the actor (`partnerClientID`), no staff member.
        /// A counselor invited a partner to a chart (a link or a code); the entity is the chart.
        case portalInvite = "portal.invite"
        /// An invitation link was emailed from the chart (`success`) or the mail system did not take it
        /// (`failed`); the entity is the person's portal account. Never the address.
        case portalInviteSent = "portal.invite.sent"
        /// A partner spent an invitation (set their passphrase, or added the chart to their account).
        case portalInvitationSpend = "portal.invitation.spend"
        /// A counselor turned a partner's access to a chart off; the entity is the chart.
        case portalRevoke = "portal.revoke"
        case portalLogin = "portal.login"
        /// A sign-in link was issued to a partner's address (no actor: the account is the entity).
        case portalLinkIssue = "portal.link.issue"
        case portalLogout = "portal.logout"
        /// A partner chose which of their charts the session reaches.
        case portalChartChoose = "portal.chart.choose"
        /// A partner began enrolling a one-time-code app (migration 0057); the entity is their account.
        case portalTOTPBegin = "portal.totp.begin"
        /// A partner confirmed their app with a code (or gave a wrong one: denied).
        case portalTOTPConfirm = "portal.totp.confirm"
        /// A partner removed their app with a current code (or gave a wrong one: denied).
        case portalTOTPRemove = "portal.totp.remove"
        /// A counselor reset a partner's app (a lost phone); the entity is the partner's account.
        case portalTOTPReset = "portal.totp.reset"

        // A partner's answers (migration 0045), written by the database's functions; the entity is the
        // assignment.
        /// A partner saved a draft answer.
        case portalAnswerDraft = "portal.answer.draft"
        /// A partner submitted their answer.
        case portalAnswerSubmit = "portal.answer.submit"
        /// A partner shared their answer with the other partner.
        case portalAnswerShare = "portal.answer.share"
        /// A partner stopped sharing their answer.
        case portalAnswerUnshare = "portal.answer.unshare"
        /// A partner submitted a scheduled measure on the portal (migration 0055); the entity is the
        /// administration (none when refused).
        case portalMeasureSubmit = "portal.measure.submit"

        // The notification outbox's sender (migration 0044; an operator context, no staff member).
        // The entity is the recipient's partner account; the request id names the outbox row.
        /// A message was handed to the relay or the sendmail command.
        case notificationSent = "notification.sent"
        /// A message was refused for good, or its retries ran out.
        case notificationFailed = "notification.failed"
        /// A message may or may not have been delivered (its sender stopped, or the answer was lost).
        case notificationUncertain = "notification.uncertain"
        /// A message was not sent: an opt-out, no portal access, or no address.
        case notificationSkipped = "notification.skipped"

        // Reminder opt-outs (migration 0047), written by the database's functions.
        /// A partner turned a kind of reminder on again for themselves (the partner as actor).
        case portalNotificationOn = "portal.notification.on"
        /// A partner turned a kind of reminder off for themselves.
        case portalNotificationOff = "portal.notification.off"
        /// An admin turned a kind of reminder on again for the practice.
        case practiceNotificationOn = "practice.notification.on"
        /// An admin turned a kind of reminder off for every partner of the practice.
        case practiceNotificationOff = "practice.notification.off"
        /// A staff member turned their own digest of new portal answers on again (migration 0052).
        case staffNotificationOn = "staff.notification.on"
        /// A staff member turned their own digest of new portal answers off.
        case staffNotificationOff = "staff.notification.off"
    }
}
