import Foundation

/// What a client's export (`ClientExport`) carries about the OTHER partner of a couple the client is
/// in, listed for the counselor to review before releasing the records: one item per record, by
/// kind, id, date and a short non-clinical label, never the clinical text itself.
public struct ExportReview: Sendable, Codable, Equatable {
    /// The client whose export was reviewed.
    @ClientExport.LowercaseID public var clientID: UUID
    /// When the review was made (the export read at this instant).
    public var generatedAt: Date
    /// Oldest first; empty when the export concerns no one else.
    public var items: [Item]

    /// One record of the export that concerns the other partner.
    public struct Item: Sendable, Codable, Equatable {
        /// What kind of record it is.
        public var kind: Kind
        /// The record's id (for a cycle map, its couple's: a map version is named by its label).
        @ClientExport.LowercaseID public var id: UUID
        /// Its day (YYYY-MM-DD, in the practice's time zone for instants); nil for treatment goals,
        /// which have none.
        public var date: String?
        /// The partner it concerns: the other partner of the couple, never the client.
        @ClientExport.LowercaseID public var partnerID: UUID
        /// e.g. "conjoint session note 2026-11-20": what and when, no clinical content.
        public var label: String
    }

    /// The kinds of record that can concern the other partner.
    public enum Kind: String, Sendable, Codable, CaseIterable {
        /// The couple's presenting concerns, written about both.
        case coupleConcerns = "couple-concerns"
        /// A conjoint session: the other partner attended or was expected.
        case conjointSession = "conjoint-session"
        /// A signed note of a conjoint session: its text is about both.
        case conjointNote = "conjoint-note"
        /// An addendum to a conjoint session's note.
        case addendum
        /// A homework response by the other partner that they shared.
        case partnerHomeworkResponse = "partner-homework-response"
        /// A version of the client's cycle map that records their perception of the other partner.
        case cycleMap = "cycle-map"
        /// An attachment injury: the other partner is the injured or the injuring one.
        case attachmentInjury = "attachment-injury"
        /// A treatment goal of the couple.
        case treatmentGoal = "treatment-goal"
        /// A psychotherapy note on a couple's chart (only when the export includes them).
        case couplePsychotherapyNote = "couple-psychotherapy-note"
    }

    /// - Parameters:
    ///   - clientID: the client whose export is reviewed.
    ///   - generatedAt: when.
    ///   - items: what concerns the other partner.
    public init(clientID: UUID, generatedAt: Date, items: [Item]) {
        self.clientID = clientID
        self.generatedAt = generatedAt
        self.items = items
    }

    /// The items of `export` that concern another partner; instants are dated in `timeZone`.
    public static func items(in export: ClientExport, timeZone: TimeZone) -> [Item] {
        let client = export.client.id
        var other: [UUID: UUID] = [:]
        for couple in export.couples {
            other[couple.id] = couple.partnerAID == client ? couple.partnerBID : couple.partnerAID
        }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        func day(_ date: Date) -> String {
            let parts = calendar.dateComponents([.year, .month, .day], from: date)
            return String(format: "%04d-%02d-%02d", parts.year ?? 0, parts.month ?? 0, parts.day ?? 0)
        }
        var items: [Item] = []
        for couple in export.couples where couple.presentingConcerns != nil {
            guard let partner = other[couple.id] else { continue }
            items.append(
                Item(
                    kind: .coupleConcerns,
                    id: couple.id,
                    date: couple.startDate,
                    partnerID: partner,
                    label: "presenting concerns of the couple seen from \(couple.startDate)"
                )
            )
        }
        var conjoint: [UUID: (partner: UUID, day: String)] = [:]
        for session in export.sessions where session.chartKind == "couple" {
            guard let partner = other[session.chartID] else { continue }
            let date = day(session.scheduledStart)
            conjoint[session.id] = (partner, date)
            items.append(
                Item(
                    kind: .conjointSession,
                    id: session.id,
                    date: date,
                    partnerID: partner,
                    label: "conjoint session \(date) (\(session.status))"
                )
            )
        }
        for note in export.progressNotes {
            guard let session = conjoint[note.sessionID] else { continue }
            items.append(
                Item(
                    kind: .conjointNote,
                    id: note.id,
                    date: session.day,
                    partnerID: session.partner,
                    label: "conjoint session note \(session.day)"
                )
            )
            for addendum in note.addenda {
                let date = day(addendum.createdAt)
                items.append(
                    Item(
                        kind: .addendum,
                        id: addendum.id,
                        date: date,
                        partnerID: session.partner,
                        label: "addendum \(date) to the conjoint session note \(session.day)"
                    )
                )
            }
        }
        for assignment in export.homework {
            guard let partner = other[assignment.coupleID] else { continue }
            for response in assignment.responses where response.partnerID != client {
                let date = day(response.recordedAt)
                items.append(
                    Item(
                        kind: .partnerHomeworkResponse,
                        id: response.id,
                        date: date,
                        partnerID: partner,
                        label: "the other partner's shared \(assignment.category) homework response \(date)"
                    )
                )
            }
        }
        for map in export.cycleMaps where map.map?.perceptionOfPartner != nil {
            guard let partner = other[map.coupleID] else { continue }
            let date = day(map.createdAt)
            items.append(
                Item(
                    kind: .cycleMap,
                    id: map.coupleID,
                    date: date,
                    partnerID: partner,
                    label: "cycle map version \(map.version) \(date): perception of the partner"
                )
            )
        }
        for injury in export.attachmentInjuries {
            guard let partner = other[injury.coupleID] else { continue }
            let role =
                injury.injuredPartnerID == client
                ? "the other partner is the injuring one" : "the other partner's injury"
            items.append(
                Item(
                    kind: .attachmentInjury,
                    id: injury.id,
                    date: injury.identifiedOn,
                    partnerID: partner,
                    label: "attachment injury identified \(injury.identifiedOn) (\(role))"
                )
            )
        }
        for goal in export.treatmentGoals {
            guard let partner = other[goal.coupleID] else { continue }
            items.append(
                Item(
                    kind: .treatmentGoal,
                    id: goal.id,
                    date: nil,
                    partnerID: partner,
                    label: "couple treatment goal (\(goal.status))"
                )
            )
        }
        for note in export.psychotherapyNotes ?? [] where note.chartKind == "couple" {
            guard let partner = other[note.chartID] else { continue }
            let date = day(note.updatedAt)
            items.append(
                Item(
                    kind: .couplePsychotherapyNote,
                    id: note.id,
                    date: date,
                    partnerID: partner,
                    label: "psychotherapy note on the couple's chart, updated \(date)"
                )
            )
        }
        // Oldest first, undated last; the order above breaks ties (a note before its addenda).
        return items.enumerated().sorted { lhs, rhs in
            let (l, r) = (lhs.element.date ?? "9999", rhs.element.date ?? "9999")
            return l != r ? l < r : lhs.offset < rhs.offset
        }.map(\.element)
    }
}
