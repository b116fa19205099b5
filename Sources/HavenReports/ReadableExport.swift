import Foundation
import HavenService

/// A client export (`ClientExport`) laid out for reading, section by section, in the order of the
/// JSON document: what `ExportMarkdownRenderer` and `ExportHTMLRenderer` render. Every value is
/// the export's own, as text; the renderers escape it.
public struct ReadableExport: Sendable, Equatable {
    /// "Records export".
    public var title: String
    /// For whom: the client's legal name (and preferred name).
    public var subject: String
    /// When, as the JSON has it (ISO 8601, UTC).
    public var generatedAt: String
    /// What was left out, in the export's own words.
    public var exclusions: [String]
    /// Values that could not be opened (table.column row: reason), never content.
    public var unreadable: [String]
    /// The record, section by section.
    public var sections: [Section]

    /// One part of the export (sessions, progress notes, …).
    public struct Section: Sendable, Equatable {
        /// e.g. "Progress notes".
        public var title: String
        /// Its records, in the export's order.
        public var entries: [Entry]
    }

    /// One record: a heading, its fields, and its free text (each block shown as written).
    public struct Entry: Sendable, Equatable {
        /// What and when, e.g. "Conjoint session 2026-11-20T15:00:00Z".
        public var heading: String
        /// Short values (ids, dates, states); empty ones left out.
        public var fields: [Field]
        /// Free text (note bodies, addenda, responses), shown as written.
        public var texts: [Field]
    }

    /// A label and its value.
    public struct Field: Sendable, Equatable {
        /// What the value is.
        public var label: String
        /// The value, unescaped (the renderers escape it).
        public var value: String
    }

    /// The readable layout of `export`.
    public init(_ export: ClientExport) {
        let c = export.client
        title = "Records export"
        subject = c.preferredName.map { "\(c.legalName) (\($0))" } ?? c.legalName
        generatedAt = Self.instant(export.generatedAt)
        exclusions = export.exclusions
        unreadable = export.unreadableValues.map { "\($0.table).\($0.column) \($0.rowID): \($0.reason)" }
        var sections: [Section] = []
        sections.append(
            Section(
                title: "Client",
                entries: [
                    Entry(
                        heading: c.legalName,
                        fields: Self.fields([
                            ("Id", Self.id(c.id)), ("Preferred name", c.preferredName), ("Pronouns", c.pronouns),
                            ("Date of birth", c.dateOfBirth), ("Intake date", c.intakeDate), ("Status", c.status),
                            ("Attachment style", c.attachmentStyle),
                            ("Primary counselor", Self.id(c.primaryCounselorID)),
                        ]),
                        texts: []
                    )
                ]
            )
        )
        sections.append(
            Section(
                title: "Couples",
                entries: export.couples.map { couple in
                    Entry(
                        heading: "Couple \(Self.id(couple.id))",
                        fields: Self.fields([
                            ("Partners", "\(Self.id(couple.partnerAID)), \(Self.id(couple.partnerBID))"),
                            ("Counselor", Self.id(couple.counselorID)), ("Start date", couple.startDate),
                            ("Status", couple.status),
                        ]),
                        texts: Self.fields([("Presenting concerns", couple.presentingConcerns)])
                    )
                }
            )
        )
        sections.append(
            Section(
                title: "Sessions",
                entries: export.sessions.map { session in
                    Entry(
                        heading: "\(session.chartKind == "couple" ? "Conjoint" : "Individual") session "
                            + Self.instant(session.scheduledStart),
                        fields: Self.fields([
                            ("Id", Self.id(session.id)), ("Duration", "\(session.durationMinutes) minutes"),
                            ("Type", session.sessionType), ("Service code", session.serviceCode),
                            ("Format", session.format), ("Status", session.status),
                            ("Attendees", session.attendeeIDs.map(Self.id).joined(separator: ", ")),
                        ]),
                        texts: []
                    )
                }
            )
        )
        sections.append(
            Section(
                title: "Progress notes",
                entries: export.progressNotes.map { note in
                    var texts = Self.fields([("Risk detail", note.riskDetail), ("Note", note.body)])
                    for addendum in note.addenda {
                        let when = Self.instant(addendum.createdAt)
                        texts += Self.fields([
                            ("Addendum \(when), reason", addendum.reason), ("Addendum \(when)", addendum.body),
                        ])
                    }
                    return Entry(
                        heading: "Progress note \(Self.id(note.id))",
                        fields: Self.fields([
                            ("Session", Self.id(note.sessionID)), ("Author", Self.id(note.authorID)),
                            ("State", note.state), ("Stage and step", "stage \(note.stage), step \(note.step)"),
                            ("Interventions", note.interventions.joined(separator: ", ")),
                            ("Tango moves", note.tangoMoves.joined(separator: ", ")),
                            ("Change events", note.changeEvents.joined(separator: ", ")), ("Risk", note.riskLevel),
                            ("Signed", note.signedAt.map(Self.instant)), ("Content hash", note.contentHash),
                            ("Co-signed by", note.cosignedBy.map(Self.id).joined(separator: ", ")),
                        ]),
                        texts: texts
                    )
                }
            )
        )
        sections.append(
            Section(
                title: "Homework",
                entries: export.homework.map { assignment in
                    Entry(
                        heading: "\(assignment.promptTitle) (assigned \(assignment.assignedOn))",
                        fields: Self.fields([
                            ("Id", Self.id(assignment.id)), ("Category", assignment.category),
                            ("For", assignment.partnerID.map(Self.id) ?? "both partners"), ("Due", assignment.dueOn),
                            ("Recurrence", assignment.recurrence),
                        ]),
                        texts: assignment.responses.map { response in
                            Field(
                                label:
                                    "Response by \(Self.id(response.partnerID)), \(Self.instant(response.recordedAt)) "
                                    + "(\(response.completion)\(response.sharedWithPartner ? ", shared" : ""))",
                                value: response.text ?? ""
                            )
                        }
                    )
                }
            )
        )
        sections.append(
            Section(
                title: "Measures",
                entries: export.measures.map { measure in
                    Entry(
                        heading: "\(measure.name) (\(measure.code)) \(measure.administeredOn)",
                        fields: Self.fields([
                            ("Total", "\(measure.total)"),
                            ("Items", measure.items.map(String.init).joined(separator: ", ")),
                        ]),
                        texts: []
                    )
                }
            )
        )
        sections.append(
            Section(
                title: "ARE ratings",
                entries: export.areRatings.map { rating in
                    Entry(
                        heading: "Session \(Self.id(rating.sessionID))",
                        fields: Self.fields([
                            ("Accessible", "\(rating.accessible)"), ("Responsive", "\(rating.responsive)"),
                            ("Engaged", "\(rating.engaged)"), ("Rated", Self.instant(rating.ratedAt)),
                        ]),
                        texts: []
                    )
                }
            )
        )
        sections.append(
            Section(
                title: "Cycle maps",
                entries: export.cycleMaps.map { map in
                    Entry(
                        heading: "Couple \(Self.id(map.coupleID)), version \(map.version)",
                        fields: Self.fields([("Position", map.position), ("Recorded", Self.instant(map.createdAt))]),
                        texts: Self.fields([
                            ("Trigger", map.map?.trigger), ("Action tendency", map.map?.actionTendency),
                            ("Perception of partner", map.map?.perceptionOfPartner),
                            ("Reactive emotion", map.map?.reactiveEmotion),
                            ("Primary emotion", map.map?.primaryEmotion),
                            ("Unmet need", map.map?.unmetNeed),
                        ])
                    )
                }
            )
        )
        sections.append(
            Section(
                title: "Attachment injuries",
                entries: export.attachmentInjuries.map { injury in
                    Entry(
                        heading: "Injury identified \(injury.identifiedOn)",
                        fields: Self.fields([
                            ("Id", Self.id(injury.id)), ("Injured partner", Self.id(injury.injuredPartnerID)),
                            ("Status", injury.status), ("Resolution step", "\(injury.resolutionStep)"),
                            ("Resolved", injury.resolvedOn),
                        ]),
                        texts: Self.fields([("Description", injury.description)])
                    )
                }
            )
        )
        sections.append(
            Section(
                title: "Treatment goals",
                entries: export.treatmentGoals.map { goal in
                    Entry(
                        heading: "Goal \(Self.id(goal.id))",
                        fields: Self.fields([("Couple", Self.id(goal.coupleID)), ("Status", goal.status)]),
                        texts: Self.fields([("Goal", goal.description)])
                    )
                }
            )
        )
        if let notes = export.psychotherapyNotes {
            sections.append(
                Section(
                    title: "Psychotherapy notes",
                    entries: notes.map { note in
                        Entry(
                            heading: "Psychotherapy note \(Self.id(note.id))",
                            fields: Self.fields([
                                ("Author", Self.id(note.authorID)),
                                ("Chart", "\(note.chartKind) \(Self.id(note.chartID))"),
                                ("Updated", Self.instant(note.updatedAt)),
                            ]),
                            texts: Self.fields([("Note", note.body)])
                        )
                    }
                )
            )
        }
        self.sections = sections
    }

    /// The fields that have a value (a value that failed to open is listed under `unreadable`).
    private static func fields(_ pairs: [(String, String?)]) -> [Field] {
        pairs.compactMap { label, value in value.map { Field(label: label, value: $0) } }.filter { !$0.value.isEmpty }
    }

    private static func id(_ id: UUID) -> String { id.uuidString.lowercased() }

    /// An instant as the JSON has it (ISO 8601, UTC).
    private static func instant(_ date: Date) -> String { ISO8601DateFormatter().string(from: date) }
}
