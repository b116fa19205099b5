import Foundation

/// A progress report for one chart and period, section by section in the order of DOMAIN.md's
/// list, with every number a reader can check. Built from `ReportFacts` by `ProgressReport.build`;
/// rendered as Markdown, HTML or JSON. Its JSON form is specified by `docs/report-schema.json`
/// (`schemaVersion` 1). A section with nothing to show carries a one-line `omitted` reason instead.
public struct ProgressReport: Sendable, Equatable, Codable {
    public var schemaVersion: Int
    /// The generation date passed in (the only date not taken from the record).
    public var generatedOn: String
    public var audience: String
    public var chartKind: String
    public var chartID: String
    public var periodFrom: String
    public var periodTo: String
    public var header: Header
    public var concernsAndGoals: ConcernsAndGoals
    public var stageAndStep: StageAndStep
    public var cycle: Cycle
    public var changeEvents: ChangeEvents
    public var injuries: Injuries
    public var measures: Measures
    public var homework: Homework
    public var risk: Risk
    public var summary: Summary
    public var signatures: Signatures

    public struct Person: Sendable, Equatable, Codable {
        public var id: String
        public var name: String
    }

    public struct Clinician: Sendable, Equatable, Codable {
        public var name: String
        public var credentials: String
    }

    public struct Attendance: Sendable, Equatable, Codable {
        public var completed: Int
        public var cancelled: Int
        public var lateCancelled: Int
        public var noShow: Int
        public var scheduled: Int
    }

    public struct Header: Sendable, Equatable, Codable {
        public var title: String
        public var practice: String
        public var partners: [Person]
        public var counselor: Clinician
        public var supervisors: [Clinician]
        public var attendance: Attendance
    }

    public struct Goal: Sendable, Equatable, Codable {
        public var description: String
        public var status: String
    }

    public struct ConcernsAndGoals: Sendable, Equatable, Codable {
        public var title: String
        public var omitted: String?
        public var presentingConcerns: String?
        public var goals: [Goal]
        /// Client audience: presenting concerns are kept in the clinical record (never a claim that
        /// none are recorded).
        public var note: String?
    }

    public struct TimelinePoint: Sendable, Equatable, Codable {
        public var date: String
        public var stage: Int
        public var step: Int
    }

    public struct Current: Sendable, Equatable, Codable {
        public var stage: Int
        public var stageName: String
        public var step: Int
        public var stepSummary: String
        public var asOf: String
    }

    public struct StageAndStep: Sendable, Equatable, Codable {
        public var title: String
        public var omitted: String?
        public var current: Current?
        public var timeline: [TimelinePoint]
    }

    public struct CyclePartner: Sendable, Equatable, Codable {
        public var name: String
        public var position: String?
        public var primaryEmotion: String?
        public var unmetNeed: String?
    }

    public struct Cycle: Sendable, Equatable, Codable {
        public var title: String
        public var omitted: String?
        public var pattern: String?
        public var partners: [CyclePartner]
    }

    public struct ChangeEvent: Sendable, Equatable, Codable {
        public var date: String
        public var event: String
        public var label: String
    }

    public struct ChangeEvents: Sendable, Equatable, Codable {
        public var title: String
        public var omitted: String?
        public var events: [ChangeEvent]
    }

    public struct Injuries: Sendable, Equatable, Codable {
        public var title: String
        public var omitted: String?
        public var identified: Int
        public var inRepair: Int
        public var resolved: Int
    }

    public struct MeasurePoint: Sendable, Equatable, Codable {
        public var date: String
        public var total: Double
    }

    public struct MeasureSeries: Sendable, Equatable, Codable {
        public var partner: String
        public var partnerID: String
        public var code: String
        public var name: String
        public var cutoff: Double?
        public var higherIsBetter: Bool
        public var points: [MeasurePoint]
        public var baseline: Double
        public var latest: Double
        public var change: Double
        /// Jacobson–Truax index, when the measure's definition stores SD and reliability.
        public var reliableChangeIndex: Double?
        public var label: String?
        public var distressAtBaseline: Bool?
        public var distressNow: Bool?
    }

    public struct PartnerGap: Sendable, Equatable, Codable {
        public var code: String
        /// Latest score of the first partner minus the second's.
        public var gap: Double
        public var between: [String]
    }

    public struct AREPoint: Sendable, Equatable, Codable {
        public var date: String
        public var accessible: Int
        public var responsive: Int
        public var engaged: Int
    }

    public struct ARESeries: Sendable, Equatable, Codable {
        public var partner: String
        public var points: [AREPoint]
    }

    public struct Measures: Sendable, Equatable, Codable {
        public var title: String
        public var omitted: String?
        public var series: [MeasureSeries]
        public var gaps: [PartnerGap]
        public var are: [ARESeries]
        /// Why some series carry no reliable-change label.
        public var notes: [String]
    }

    public struct HomeworkCounts: Sendable, Equatable, Codable {
        public var name: String
        public var assigned: Int
        public var completed: Int
        public var partlyCompleted: Int
        public var skipped: Int
        public var noResponse: Int
        /// Responses the partner chose not to share (client audience): kept apart, not counted as missed.
        public var keptPrivate: Int
        /// Completed or partly completed over assigned less those kept private, 0–1, rounded to 3 places.
        public var completionRate: Double
    }

    public struct Homework: Sendable, Equatable, Codable {
        public var title: String
        public var omitted: String?
        public var assignments: Int
        public var perPartner: [HomeworkCounts]
        public var perCategory: [HomeworkCounts]
        public var note: String?
    }

    public struct Risk: Sendable, Equatable, Codable {
        public var title: String
        public var omitted: String?
        public var currentLevel: String?
        public var openHighRiskFlag: Bool
        public var statement: String
        public var detail: String?
    }

    public struct Summary: Sendable, Equatable, Codable {
        public var title: String
        public var omitted: String?
        public var text: String?
        public var nextReview: String?
    }

    public struct Signature: Sendable, Equatable, Codable {
        public var role: String
        public var name: String
        public var credentials: String
    }

    /// One session note's e-signature, as the record holds it.
    public struct NoteSignature: Sendable, Equatable, Codable {
        public var sessionDate: String
        /// Name and credentials.
        public var signedBy: String
        /// Local date and time in the practice's time zone, `YYYY-MM-DD HH:MM`.
        public var signedAt: String
        /// SHA-256 of the signed content, lower-case hex.
        public var contentHash: String
        public var cosignedBy: String?
        public var cosignedAt: String?
        /// In words: co-signed, awaiting co-signature, not required, or that the co-signature
        /// covers other content.
        public var cosignature: String
    }

    public struct Signatures: Sendable, Equatable, Codable {
        public var title: String
        /// Who is responsible for the report: the counselor, and supervisors when pre-licensed.
        public var lines: [Signature]
        /// The e-signatures of the period's session notes the report rests on.
        public var notes: [NoteSignature]
        /// Notes in the period still in draft (not signed).
        public var unsignedNotes: Int
    }

    /// Sorted keys, two-space indentation: identical input gives identical bytes.
    public func json() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(self), as: UTF8.self) + "\n"
    }
}
