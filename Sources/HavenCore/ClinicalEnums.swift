/// Values a clinical record stores as plain, queryable enums. Raw values are what the database
/// stores; parsing an unknown value is a `DomainError` naming the field and listing what is allowed.
public protocol ClinicalEnum: RawRepresentable, CaseIterable, Sendable, Hashable, Codable where RawValue == String {
    /// The field name used in errors.
    static var fieldName: String { get }
}

extension ClinicalEnum {
    /// Parses a stored or typed value.
    ///
    /// - Throws: `DomainError` naming the field and the allowed values.
    public static func parse(_ text: String) throws -> Self {
        guard let value = Self(rawValue: text) else {
            let allowed = allCases.map(\.rawValue).joined(separator: ", ")
            // The typed text is not echoed: an error message must never carry what a caller wrote.
            throw DomainError(field: fieldName, "is not one of: \(allowed)")
        }
        return value
    }
}

/// An assessed adult attachment style.
public enum AttachmentStyle: String, ClinicalEnum {
    case secure, anxious, avoidant, disorganized
    public static let fieldName = "attachmentStyle"
}

/// Where a client or couple is in care.
public enum CareStatus: String, ClinicalEnum {
    case active, paused, discharged
    public static let fieldName = "status"
}

/// How a session was held.
public enum SessionFormat: String, ClinicalEnum {
    case inPerson = "in_person"
    case video, phone
    public static let fieldName = "format"
}

/// What kind of appointment a session is. A conjoint session is a couple's and an individual session
/// one client's; assessment, intake and follow-up sessions may be either. When none is given, a
/// couple's session is conjoint and a client's individual (`defaultType(forCouple:)`).
public enum SessionType: String, ClinicalEnum {
    case assessment, conjoint, individual, intake
    case followUp = "follow_up"
    public static let fieldName = "sessionType"

    /// The type a session gets when none is given: conjoint for a couple, individual for a client.
    public static func defaultType(forCouple: Bool) -> SessionType { forCouple ? .conjoint : .individual }

    /// Checks that the type fits the chart (the database's `therapy_sessions_type_fits_chart` too).
    ///
    /// - Throws: `DomainError` naming `sessionType`.
    public func check(forCouple: Bool) throws(DomainError) {
        if self == .conjoint && !forCouple {
            throw DomainError(field: Self.fieldName, "a conjoint session is a couple's; give the couple's chart")
        }
        if self == .individual && forCouple {
            throw DomainError(field: Self.fieldName, "an individual session is one client's; give the client's chart")
        }
    }
}

/// What happened to an appointment. Only a completed session carries a clinical note.
public enum SessionStatus: String, ClinicalEnum {
    case scheduled, completed, cancelled
    case lateCancelled = "late_cancelled"
    case noShow = "no_show"
    public static let fieldName = "status"
}

/// A note's risk screen level.
public enum RiskLevel: String, ClinicalEnum, Comparable {
    case none, low, moderate, high
    public static let fieldName = "riskLevel"

    private var rank: Int { Self.allCases.firstIndex(of: self)! }
    public static func < (lhs: RiskLevel, rhs: RiskLevel) -> Bool { lhs.rank < rhs.rank }
}

/// Interventions a note can record.
public enum Intervention: String, ClinicalEnum {
    case reflectingEmotion = "reflecting_emotion"
    case validating
    case evocativeResponding = "evocative_responding"
    case heightening
    case empathicConjecture = "empathic_conjecture"
    case trackingTheCycle = "tracking_the_cycle"
    case reframing
    case shapingEnactments = "shaping_enactments"
    case reassuranceAndContainment = "reassurance_and_containment"
    case psychoeducation
    public static let fieldName = "interventions"
}

/// The "Tango" moves a session reached.
public enum TangoMove: String, ClinicalEnum {
    case mirrorPresentProcess = "mirror_present_process"
    case assembleAndDeepenAffect = "assemble_and_deepen_affect"
    case choreographEngagedEncounter = "choreograph_engaged_encounter"
    case processTheEncounter = "process_the_encounter"
    case integrateAndValidate = "integrate_and_validate"
    public static let fieldName = "tangoMoves"
}

/// Change events worth dating in the record.
public enum ChangeEvent: String, ClinicalEnum {
    case cycleDeescalated = "cycle_deescalated"
    case withdrawerReengagement = "withdrawer_reengagement"
    case blamerSoftening = "blamer_softening"
    case attachmentInjuryResolved = "attachment_injury_resolved"
    public static let fieldName = "changeEvents"
}

/// A couple's identified negative cycle.
public enum CyclePattern: String, ClinicalEnum {
    case pursueWithdraw = "pursue_withdraw"
    case attackAttack = "attack_attack"
    case withdrawWithdraw = "withdraw_withdraw"
    case alternating
    public static let fieldName = "cyclePattern"
}

/// A partner's position in the cycle.
public enum CyclePosition: String, ClinicalEnum {
    case pursuer, withdrawer, alternating
    public static let fieldName = "position"
}

/// Where an attachment injury stands.
public enum InjuryStatus: String, ClinicalEnum {
    case identified
    case inRepair = "in_repair"
    case resolved
    public static let fieldName = "status"
}

/// Homework prompt categories.
public enum HomeworkCategory: String, ClinicalEnum {
    case cycleAwareness = "cycle_awareness"
    case responsiveness
    case judgmentFreeListening = "judgment_free_listening"
    case validation
    case emotionalCheckIn = "emotional_check_in"
    case vulnerability
    case repair
    case bonding
    case journal
    public static let fieldName = "category"
}

/// How often a prompt is meant to be practised.
public enum HomeworkFrequency: String, ClinicalEnum {
    case once, daily, weekly
    public static let fieldName = "frequency"
}
