import Foundation
import Postgres

/// Everything Haven holds about one client, decrypted, for a records request (`haven export
/// client`). Encoded as JSON with `ClientExport.encoder`; the schema is versioned by `format`.
///
/// Left out always: the other partner's individual sessions and their notes, and the other
/// partner's homework responses they did not share. Left out unless asked: psychotherapy notes
/// (and then only those the requester may read: their own, or under break-glass).
///
/// A sealed value that fails to open (damaged, or its key shredded) is null in its place and listed
/// in `unreadableValues`; the rest of the export is still complete.
public struct ClientExport: Sendable, Codable, Equatable {
    /// `haven-client-export-v1`.
    public var format: String
    public var generatedAt: Date
    public var client: Client
    public var couples: [Couple]
    public var sessions: [Session]
    public var progressNotes: [ProgressNote]
    public var homework: [Assignment]
    public var measures: [Measure]
    public var areRatings: [ARERating]
    public var cycleMaps: [CycleMap]
    public var attachmentInjuries: [Injury]
    public var treatmentGoals: [Goal]
    /// `nil` when they were not asked for.
    public var psychotherapyNotes: [PsychotherapyNote]?
    /// What was left out and why, in words for the person receiving the export.
    public var exclusions: [String]
    /// Sealed values that could not be opened (table, column, row id and the sealing failure, never
    /// any content), each null where it belongs; empty when all opened.
    public var unreadableValues: [KeyManager.VerificationFailure]

    public struct Client: Sendable, Codable, Equatable {
        @LowercaseID public var id: UUID
        public var legalName: String
        public var preferredName: String?
        public var pronouns: String?
        public var dateOfBirth: String?
        public var intakeDate: String
        public var status: String
        public var attachmentStyle: String?
        @LowercaseID public var primaryCounselorID: UUID
    }

    public struct Couple: Sendable, Codable, Equatable {
        @LowercaseID public var id: UUID
        @LowercaseID public var partnerAID: UUID
        @LowercaseID public var partnerBID: UUID
        @LowercaseID public var counselorID: UUID
        public var startDate: String
        public var status: String
        public var presentingConcerns: String?
    }

    public struct Session: Sendable, Codable, Equatable {
        @LowercaseID public var id: UUID
        /// `couple` (conjoint) or `client` (individual).
        public var chartKind: String
        @LowercaseID public var chartID: UUID
        @LowercaseID public var counselorID: UUID
        public var scheduledStart: Date
        public var durationMinutes: Int
        public var format: String
        /// assessment, conjoint, individual, intake or follow_up (absent in exports written before
        /// sessions had types; every export Haven writes now has it).
        public var sessionType: String?
        /// The billing code (e.g. 90847), when one was recorded.
        public var serviceCode: String?
        public var status: String
        @LowercaseIDs public var attendeeIDs: [UUID]
    }

    public struct ProgressNote: Sendable, Codable, Equatable {
        @LowercaseID public var id: UUID
        @LowercaseID public var sessionID: UUID
        @LowercaseID public var authorID: UUID
        public var state: String
        public var stage: Int
        public var step: Int
        @LowercaseOptionalID public var stepPartnerID: UUID?
        public var interventions: [String]
        public var tangoMoves: [String]
        public var changeEvents: [String]
        public var riskLevel: String
        public var riskDetail: String?
        /// Nil only when it failed to open (`unreadableValues`).
        public var body: String?
        public var signedAt: Date?
        /// SHA-256 of the signed content, lowercase hex.
        public var contentHash: String?
        public var addenda: [Addendum]
        @LowercaseIDs public var cosignedBy: [UUID]
    }

    public struct Addendum: Sendable, Codable, Equatable {
        @LowercaseID public var id: UUID
        @LowercaseID public var authorID: UUID
        public var createdAt: Date
        /// Nil only when it failed to open (`unreadableValues`), as for `body`.
        public var reason: String?
        public var body: String?
    }

    public struct Assignment: Sendable, Codable, Equatable {
        @LowercaseID public var id: UUID
        @LowercaseID public var coupleID: UUID
        public var promptTitle: String
        public var category: String
        /// `nil` when assigned to both partners.
        @LowercaseOptionalID public var partnerID: UUID?
        public var assignedOn: String
        public var dueOn: String
        public var recurrence: String
        public var responses: [Response]
    }

    public struct Response: Sendable, Codable, Equatable {
        @LowercaseID public var id: UUID
        @LowercaseID public var partnerID: UUID
        public var completion: String
        public var text: String?
        public var sharedWithPartner: Bool
        public var recordedAt: Date
    }

    public struct Measure: Sendable, Codable, Equatable {
        @LowercaseID public var id: UUID
        public var code: String
        public var name: String
        public var administeredOn: String
        public var items: [Int]
        public var total: Double
    }

    public struct ARERating: Sendable, Codable, Equatable {
        @LowercaseID public var sessionID: UUID
        public var accessible: Int
        public var responsive: Int
        public var engaged: Int
        public var ratedAt: Date
    }

    public struct CycleMap: Sendable, Codable, Equatable {
        @LowercaseID public var coupleID: UUID
        public var version: Int
        /// nil until the counselor records it.
        public var position: String?
        /// Nil only when it failed to open (`unreadableValues`).
        public var map: CycleMapService.Map?
        public var createdAt: Date
    }

    public struct Injury: Sendable, Codable, Equatable {
        @LowercaseID public var id: UUID
        @LowercaseID public var coupleID: UUID
        @LowercaseID public var injuredPartnerID: UUID
        /// Nil only when it failed to open (`unreadableValues`).
        public var description: String?
        public var identifiedOn: String
        public var status: String
        public var resolutionStep: Int
        public var resolvedOn: String?
    }

    public struct Goal: Sendable, Codable, Equatable {
        @LowercaseID public var id: UUID
        @LowercaseID public var coupleID: UUID
        /// Nil only when it failed to open (`unreadableValues`).
        public var description: String?
        public var status: String
    }

    public struct PsychotherapyNote: Sendable, Codable, Equatable {
        @LowercaseID public var id: UUID
        @LowercaseID public var authorID: UUID
        public var chartKind: String
        @LowercaseID public var chartID: UUID
        /// Nil only when it failed to open (`unreadableValues`).
        public var body: String?
        public var updatedAt: Date
    }

    /// Sorted keys, ISO 8601 instants, pretty-printed: the same export encodes to the same bytes.
    public static var encoder: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        return encoder
    }

    /// Reads what `encoder` wrote.
    public static var decoder: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }
}
