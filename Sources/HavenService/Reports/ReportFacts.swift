import Foundation
import HavenCore

/// Who a progress report is for: the clinical record (everything reportable), or the clients
/// themselves (no note text, no risk detail, no presenting concerns or summary written for
/// colleagues, no private homework responses).
public enum ReportAudience: String, Sendable, Codable, CaseIterable {
    case clinical
    case client
}

/// The facts a progress report is built from, already filtered for its audience by
/// `ReportService`: what is not here cannot leak into any format. Never holds note bodies or
/// psychotherapy notes, for any audience.
public struct ReportFacts: Sendable, Equatable, Codable {
    public struct Person: Sendable, Equatable, Codable {
        public var id: UUID
        public var name: String

        public init(
            id: UUID,
            name: String
        ) {
            self.id = id
            self.name = name
        }
    }

    public struct Clinician: Sendable, Equatable, Codable {
        public var id: UUID
        public var name: String
        public var credentials: String
        public var preLicensed: Bool

        public init(
            id: UUID,
            name: String,
            credentials: String,
            preLicensed: Bool
        ) {
            self.id = id
            self.name = name
            self.credentials = credentials
            self.preLicensed = preLicensed
        }
    }

    public struct Session: Sendable, Equatable, Codable {
        public var id: UUID
        public var start: Date
        public var status: String
        public var format: String

        public init(
            id: UUID,
            start: Date,
            status: String,
            format: String
        ) {
            self.id = id
            self.start = start
            self.status = status
            self.format = format
        }
    }

    /// Who signed: a name and credentials as the staff record holds them.
    public struct Signer: Sendable, Equatable, Codable {
        public var name: String
        public var credentials: String

        public init(name: String, credentials: String) {
            self.name = name
            self.credentials = credentials
        }
    }

    /// A signed note's e-signature: its author, when, the SHA-256 of what was signed, and the
    /// supervisor's co-signature when there is one (and whether it covers the same content).
    public struct NoteSignature: Sendable, Equatable, Codable {
        public var signedBy: Signer
        public var signedAt: Date
        /// Lower-case hex.
        public var contentHash: String
        public var cosignedBy: Signer?
        public var cosignedAt: Date?
        public var cosignatureMatches: Bool?

        public init(
            signedBy: Signer,
            signedAt: Date,
            contentHash: String,
            cosignedBy: Signer? = nil,
            cosignedAt: Date? = nil,
            cosignatureMatches: Bool? = nil
        ) {
            self.signedBy = signedBy
            self.signedAt = signedAt
            self.contentHash = contentHash
            self.cosignedBy = cosignedBy
            self.cosignedAt = cosignedAt
            self.cosignatureMatches = cosignatureMatches
        }
    }

    public struct Note: Sendable, Equatable, Codable {
        public var sessionID: UUID
        public var sessionStart: Date
        public var stage: Int
        public var step: Int
        public var stepPartnerID: UUID?
        public var changeEvents: [String]
        /// `nil` on a draft whose risk level is not recorded yet.
        public var riskLevel: String?
        public var signed: Bool
        /// The e-signature, when signed.
        public var signature: NoteSignature?

        public init(
            sessionID: UUID,
            sessionStart: Date,
            stage: Int,
            step: Int,
            stepPartnerID: UUID? = nil,
            changeEvents: [String],
            riskLevel: String?,
            signed: Bool,
            signature: NoteSignature? = nil
        ) {
            self.signature = signature
            self.sessionID = sessionID
            self.sessionStart = sessionStart
            self.stage = stage
            self.step = step
            self.stepPartnerID = stepPartnerID
            self.changeEvents = changeEvents
            self.riskLevel = riskLevel
            self.signed = signed
        }
    }

    public struct Goal: Sendable, Equatable, Codable {
        public var description: String
        public var status: String

        public init(
            description: String,
            status: String
        ) {
            self.description = description
            self.status = status
        }
    }

    public struct CyclePartner: Sendable, Equatable, Codable {
        public var partnerID: UUID
        public var position: String?
        /// Clinical audience only: the latest map's primary emotion and unmet need (the reframe).
        public var primaryEmotion: String?
        public var unmetNeed: String?

        public init(
            partnerID: UUID,
            position: String? = nil,
            primaryEmotion: String? = nil,
            unmetNeed: String? = nil
        ) {
            self.partnerID = partnerID
            self.position = position
            self.primaryEmotion = primaryEmotion
            self.unmetNeed = unmetNeed
        }
    }

    public struct Measure: Sendable, Equatable, Codable {
        public var partnerID: UUID
        public var code: String
        public var name: String
        public var date: CalendarDate
        public var total: Double
        public var cutoff: Double?
        public var higherIsBetter: Bool
        public var standardDeviation: Double?
        public var reliability: Double?

        public init(
            partnerID: UUID,
            code: String,
            name: String,
            date: CalendarDate,
            total: Double,
            cutoff: Double? = nil,
            higherIsBetter: Bool,
            standardDeviation: Double? = nil,
            reliability: Double? = nil
        ) {
            self.partnerID = partnerID
            self.code = code
            self.name = name
            self.date = date
            self.total = total
            self.cutoff = cutoff
            self.higherIsBetter = higherIsBetter
            self.standardDeviation = standardDeviation
            self.reliability = reliability
        }
    }

    public struct ARE: Sendable, Equatable, Codable {
        public var partnerID: UUID
        public var sessionStart: Date
        public var accessible: Int
        public var responsive: Int
        public var engaged: Int

        public init(
            partnerID: UUID,
            sessionStart: Date,
            accessible: Int,
            responsive: Int,
            engaged: Int
        ) {
            self.partnerID = partnerID
            self.sessionStart = sessionStart
            self.accessible = accessible
            self.responsive = responsive
            self.engaged = engaged
        }
    }

    public struct Assignment: Sendable, Equatable, Codable {
        public var id: UUID
        public var title: String
        public var category: String
        /// nil: both partners.
        public var partnerID: UUID?
        public var assignedOn: CalendarDate
        public var dueOn: CalendarDate

        public init(
            id: UUID,
            title: String,
            category: String,
            partnerID: UUID? = nil,
            assignedOn: CalendarDate,
            dueOn: CalendarDate
        ) {
            self.id = id
            self.title = title
            self.category = category
            self.partnerID = partnerID
            self.assignedOn = assignedOn
            self.dueOn = dueOn
        }
    }

    public struct Response: Sendable, Equatable, Codable {
        public var assignmentID: UUID
        public var partnerID: UUID
        /// The completion, or `private` (client audience) for a response its partner did not share.
        public var completion: String

        public init(
            assignmentID: UUID,
            partnerID: UUID,
            completion: String
        ) {
            self.assignmentID = assignmentID
            self.partnerID = partnerID
            self.completion = completion
        }
    }

    public struct Summary: Sendable, Equatable, Codable {
        public var text: String
        public var nextReview: CalendarDate?
        public var writtenAt: Date

        public init(
            text: String,
            nextReview: CalendarDate? = nil,
            writtenAt: Date
        ) {
            self.text = text
            self.nextReview = nextReview
            self.writtenAt = writtenAt
        }
    }

    public var audience: ReportAudience
    public var practiceName: String
    public var timeZone: String
    public var chart: ChartReference
    public var partners: [Person]
    public var counselor: Clinician
    public var supervisors: [Clinician]
    public var periodFrom: CalendarDate
    public var periodTo: CalendarDate
    public var presentingConcerns: String?
    public var cyclePattern: String?
    public var cycle: [CyclePartner]
    public var sessions: [Session]
    public var notes: [Note]
    /// Clinical audience only: the latest note's risk detail when its level is moderate or high.
    public var riskDetail: String?
    /// For a couple: whether a high-risk flag is open now (`haven_couple_high_risk`, the one rule: the
    /// latest note recording a level says high and no closure names it), whatever the period; nil for
    /// an individual chart, whose risk is the latest note's level.
    public var openHighRiskFlag: Bool?
    /// The chart's care status now (active, paused, discharged), whatever the period; nil in facts
    /// not read from the database.
    public var careStatus: CareStatus?
    public var goals: [Goal]
    public var injuries: [String: Int]
    public var measures: [Measure]
    public var areRatings: [ARE]
    public var assignments: [Assignment]
    public var responses: [Response]
    public var summary: Summary?
    /// How many statements gathering took (a report must not issue one per session).
    public var queryCount: Int

    public init(
        audience: ReportAudience,
        practiceName: String,
        timeZone: String,
        chart: ChartReference,
        partners: [Person],
        counselor: Clinician,
        supervisors: [Clinician],
        periodFrom: CalendarDate,
        periodTo: CalendarDate,
        presentingConcerns: String? = nil,
        cyclePattern: String? = nil,
        cycle: [CyclePartner],
        sessions: [Session],
        notes: [Note],
        riskDetail: String? = nil,
        goals: [Goal],
        injuries: [String: Int],
        measures: [Measure],
        areRatings: [ARE],
        assignments: [Assignment],
        responses: [Response],
        summary: Summary? = nil,
        queryCount: Int
    ) {
        self.audience = audience
        self.practiceName = practiceName
        self.timeZone = timeZone
        self.chart = chart
        self.partners = partners
        self.counselor = counselor
        self.supervisors = supervisors
        self.periodFrom = periodFrom
        self.periodTo = periodTo
        self.presentingConcerns = presentingConcerns
        self.cyclePattern = cyclePattern
        self.cycle = cycle
        self.sessions = sessions
        self.notes = notes
        self.riskDetail = riskDetail
        self.goals = goals
        self.injuries = injuries
        self.measures = measures
        self.areRatings = areRatings
        self.assignments = assignments
        self.responses = responses
        self.summary = summary
        self.queryCount = queryCount
    }
}

extension ChartReference: Codable {
    private enum CodingKeys: String, CodingKey { case kind, id }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let id = try container.decode(UUID.self, forKey: .id)
        switch try container.decode(String.self, forKey: .kind) {
        case "couple": self = .couple(id)
        case "client": self = .client(id)
        default:
            throw DecodingError.dataCorruptedError(forKey: .kind, in: container, debugDescription: "couple or client")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(kind, forKey: .kind)
        try container.encode(id, forKey: .id)
    }
}
