import Foundation
import HavenCore
import HavenService

extension ProgressReport {
    /// Builds the report from facts already filtered for their audience. Pure: the same facts and
    /// date give the same report.
    public static func build(from facts: ReportFacts, generatedOn: CalendarDate) -> ProgressReport {
        let words = ReportWording(audience: facts.audience)
        let zone = TimeZone(identifier: facts.timeZone) ?? TimeZone(identifier: "UTC")!
        let names = Dictionary(uniqueKeysWithValues: facts.partners.map { ($0.id, $0.name) })
        func day(_ date: Date) -> String { Self.day(date, in: zone) }
        return ProgressReport(
            schemaVersion: 1,
            generatedOn: generatedOn.description,
            audience: facts.audience.rawValue,
            chartKind: facts.chart.kind,
            chartID: facts.chart.id.uuidString.lowercased(),
            periodFrom: facts.periodFrom.description,
            periodTo: facts.periodTo.description,
            header: header(facts, words),
            concernsAndGoals: concernsAndGoals(facts, words),
            stageAndStep: stageAndStep(facts, words, day),
            cycle: cycle(facts, words, names),
            changeEvents: changeEvents(facts, words, day),
            injuries: injuries(facts, words),
            measures: measures(facts, words, names, day),
            homework: homework(facts, words, names),
            risk: risk(facts, words),
            summary: summary(facts, words),
            signatures: signatures(facts, words, zone)
        )
    }

    /// `YYYY-MM-DD HH:MM` in the practice's time zone.
    static func minute(_ date: Date, in zone: TimeZone) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone
        let parts = calendar.dateComponents([.hour, .minute], from: date)
        return day(date, in: zone) + String(format: " %02d:%02d", parts.hour!, parts.minute!)
    }

    static func day(_ date: Date, in zone: TimeZone) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone
        let parts = calendar.dateComponents([.year, .month, .day], from: date)
        return CalendarDate(year: parts.year!, month: parts.month!, day: parts.day!)!.description
    }

    private static func header(_ facts: ReportFacts, _ words: ReportWording) -> Header {
        func count(_ status: String) -> Int { facts.sessions.filter { $0.status == status }.count }
        return Header(
            title: words.reportTitle,
            practice: facts.practiceName,
            partners: facts.partners.map { Person(id: $0.id.uuidString.lowercased(), name: $0.name) },
            counselor: Clinician(name: facts.counselor.name, credentials: facts.counselor.credentials),
            supervisors: facts.supervisors.map { Clinician(name: $0.name, credentials: $0.credentials) },
            attendance: Attendance(
                completed: count("completed"),
                cancelled: count("cancelled"),
                lateCancelled: count("late_cancelled"),
                noShow: count("no_show"),
                scheduled: count("scheduled")
            )
        )
    }

    private static func concernsAndGoals(_ facts: ReportFacts, _ words: ReportWording) -> ConcernsAndGoals {
        let goals = facts.goals.map {
            Goal(description: $0.description, status: $0.status.replacingOccurrences(of: "_", with: " "))
        }
        // Clients never see the presenting concerns, so their report cannot say whether any are
        // recorded: it says where they are kept.
        let kept = "What brought you to counseling is kept in your clinical record."
        let omitted: String? =
            if words.plain {
                goals.isEmpty ? "No treatment goals are recorded yet. " + kept : nil
            } else {
                facts.presentingConcerns == nil && goals.isEmpty
                    ? "No presenting concerns or treatment goals are recorded." : nil
            }
        return ConcernsAndGoals(
            title: words.concerns,
            omitted: omitted,
            presentingConcerns: facts.presentingConcerns,
            goals: goals,
            note: words.plain && !goals.isEmpty ? kept : nil
        )
    }

    private static func stageAndStep(
        _ facts: ReportFacts,
        _ words: ReportWording,
        _ day: (Date) -> String
    )
        -> StageAndStep
    {
        let timeline = facts.notes.map { TimelinePoint(date: day($0.sessionStart), stage: $0.stage, step: $0.step) }
        let current = facts.notes.last.map {
            Current(
                stage: $0.stage,
                stageName: words.stageName($0.stage),
                step: $0.step,
                stepSummary: words.stepSummary($0.step),
                asOf: day($0.sessionStart)
            )
        }
        return StageAndStep(
            title: words.stage,
            omitted: timeline.isEmpty ? "No session notes in this period." : nil,
            current: current,
            timeline: timeline
        )
    }

    private static func cycle(_ facts: ReportFacts, _ words: ReportWording, _ names: [UUID: String]) -> Cycle {
        var pattern = facts.cyclePattern
        let positions = Set(facts.cycle.compactMap(\.position))
        if pattern == nil, positions == ["pursuer", "withdrawer"] { pattern = "pursue_withdraw" }
        let partners = facts.cycle.map {
            CyclePartner(
                name: names[$0.partnerID] ?? "",
                position: $0.position.map(words.position),
                primaryEmotion: $0.primaryEmotion,
                unmetNeed: $0.unmetNeed
            )
        }
        let empty = pattern == nil && partners.isEmpty
        return Cycle(
            title: words.cycle,
            omitted: empty ? "The cycle has not been mapped yet." : nil,
            pattern: pattern.map(words.pattern),
            partners: partners
        )
    }

    private static func changeEvents(
        _ facts: ReportFacts,
        _ words: ReportWording,
        _ day: (Date) -> String
    )
        -> ChangeEvents
    {
        var seen: Set<String> = []
        var events: [ChangeEvent] = []
        for note in facts.notes {
            for event in note.changeEvents where !seen.contains(event) || event == "attachment_injury_resolved" {
                seen.insert(event)
                events.append(ChangeEvent(date: day(note.sessionStart), event: event, label: words.changeEvent(event)))
            }
        }
        return ChangeEvents(
            title: words.changeEvents,
            omitted: events.isEmpty ? "No change events recorded in this period." : nil,
            events: events
        )
    }

    private static func injuries(_ facts: ReportFacts, _ words: ReportWording) -> Injuries {
        let identified = facts.injuries["identified"] ?? 0
        let inRepair = facts.injuries["in_repair"] ?? 0
        let resolved = facts.injuries["resolved"] ?? 0
        let chartNote: String? =
            if case .client = facts.chart { "Attachment injuries are recorded on the couple's chart." } else { nil }
        return Injuries(
            title: words.injuries,
            omitted: chartNote ?? (identified + inRepair + resolved == 0 ? "No attachment injuries recorded." : nil),
            identified: identified,
            inRepair: inRepair,
            resolved: resolved
        )
    }

    private static func measures(
        _ facts: ReportFacts,
        _ words: ReportWording,
        _ names: [UUID: String],
        _ day: (Date) -> String
    ) -> Measures {
        var series: [MeasureSeries] = []
        var notes: [String] = []
        let codes = facts.measures.map(\.code).reduce(into: [String]()) { if !$0.contains($1) { $0.append($1) } }
        for code in codes {
            for partner in facts.partners {
                let points = facts.measures.filter { $0.code == code && $0.partnerID == partner.id }
                guard let first = points.first, let last = points.last else { continue }
                var rci: Double?
                var label: String?
                if let sd = first.standardDeviation, let r = first.reliability, points.count > 1,
                    let change = try? ReliableChange(
                        standardDeviation: sd,
                        reliability: r,
                        higherIsBetter: first.higherIsBetter
                    )
                {
                    let index = change.index(from: first.total, to: last.total)
                    rci = (index * 100).rounded() / 100
                    label = words.label(change.label(from: first.total, to: last.total).rawValue)
                } else if points.count > 1, first.standardDeviation == nil || first.reliability == nil {
                    let note =
                        "No reliable-change index for \(code): Haven carries no published standard deviation "
                        + "and reliability for it."
                    if !notes.contains(note) { notes.append(note) }
                }
                func distress(_ total: Double) -> Bool? {
                    first.cutoff.map { first.higherIsBetter ? total < $0 : total > $0 }
                }
                series.append(
                    MeasureSeries(
                        partner: partner.name,
                        partnerID: partner.id.uuidString.lowercased(),
                        code: code,
                        name: first.name,
                        cutoff: first.cutoff,
                        higherIsBetter: first.higherIsBetter,
                        points: points.map { MeasurePoint(date: $0.date.description, total: $0.total) },
                        baseline: first.total,
                        latest: last.total,
                        change: last.total - first.total,
                        reliableChangeIndex: rci,
                        label: label,
                        distressAtBaseline: distress(first.total),
                        distressNow: distress(last.total)
                    )
                )
            }
        }
        var gaps: [PartnerGap] = []
        for code in codes {
            let pair = series.filter { $0.code == code }
            if pair.count == 2 {
                gaps.append(PartnerGap(code: code, gap: pair[0].latest - pair[1].latest, between: pair.map(\.partner)))
            }
        }
        let are = facts.partners.compactMap { partner -> ARESeries? in
            let points = facts.areRatings.filter { $0.partnerID == partner.id }.map {
                AREPoint(
                    date: day($0.sessionStart),
                    accessible: $0.accessible,
                    responsive: $0.responsive,
                    engaged: $0.engaged
                )
            }
            return points.isEmpty ? nil : ARESeries(partner: partner.name, points: points)
        }
        return Measures(
            title: words.measures,
            omitted: series.isEmpty && are.isEmpty ? "No outcome measures recorded in this period." : nil,
            series: series,
            gaps: gaps,
            are: are,
            notes: notes
        )
    }

    private static func homework(_ facts: ReportFacts, _ words: ReportWording, _ names: [UUID: String]) -> Homework {
        func counts(_ name: String, _ pairs: [(assignment: ReportFacts.Assignment, partner: UUID)]) -> HomeworkCounts {
            var result = HomeworkCounts(
                name: name,
                assigned: pairs.count,
                completed: 0,
                partlyCompleted: 0,
                skipped: 0,
                noResponse: 0,
                keptPrivate: 0,
                completionRate: 0
            )
            for (assignment, partner) in pairs {
                switch facts.responses.first(where: { $0.assignmentID == assignment.id && $0.partnerID == partner })?
                    .completion
                {
                case "completed": result.completed += 1
                case "partly_completed": result.partlyCompleted += 1
                case "skipped": result.skipped += 1
                case "private": result.keptPrivate += 1
                default: result.noResponse += 1
                }
            }
            if result.assigned > result.keptPrivate {
                let rate =
                    Double(result.completed + result.partlyCompleted) / Double(result.assigned - result.keptPrivate)
                result.completionRate = (rate * 1000).rounded() / 1000
            }
            return result
        }
        // One (assignment, partner) pair per person it was given to.
        let pairs = facts.assignments.flatMap { assignment in
            (assignment.partnerID.map { [$0] } ?? facts.partners.map(\.id)).map {
                (assignment: assignment, partner: $0)
            }
        }
        let perPartner = facts.partners.map { partner in counts(partner.name, pairs.filter { $0.partner == partner.id })
        }
        let categories = pairs.map(\.assignment.category).reduce(into: [String]()) {
            if !$0.contains($1) { $0.append($1) }
        }
        .sorted()
        let perCategory = categories.map { category in
            counts(
                category.replacingOccurrences(of: "_", with: " "),
                pairs.filter { $0.assignment.category == category }
            )
        }
        let chartNote: String? =
            if case .client = facts.chart { "Homework is assigned on the couple's chart." } else { nil }
        return Homework(
            title: words.homework,
            omitted: chartNote ?? (facts.assignments.isEmpty ? "No homework assigned in this period." : nil),
            assignments: facts.assignments.count,
            perPartner: facts.assignments.isEmpty ? [] : perPartner,
            perCategory: perCategory,
            note: words.plain && !facts.assignments.isEmpty
                ? "A response a partner chose to keep private counts as private: it is not counted as missed, "
                    + "and the share done is of the responses you can both see." : nil
        )
    }

    private static func risk(_ facts: ReportFacts, _ words: ReportWording) -> Risk {
        // The latest note that records a level: a draft without one does not hide an earlier flag.
        let level = facts.notes.last { $0.riskLevel != nil }?.riskLevel
        // A couple's flag is the database's answer for now (a counselor may have closed it with a
        // reason, or it may come from a note before the period); an individual chart's, the level.
        let open = facts.openHighRiskFlag ?? (level == "high")
        if words.plain {
            return Risk(
                title: words.risk,
                omitted: "Safety is something your counselor talks through with each of you directly.",
                currentLevel: nil,
                openHighRiskFlag: false,
                statement: "",
                detail: nil
            )
        }
        let statement: String =
            switch level {
            case _ where open && level != "high":
                "OPEN HIGH-RISK FLAG: a note outside this period records high risk and the flag is still open; "
                    + "joint homework and conjoint sessions need an explicit override."
            case nil: "No notes in this period record a risk assessment."
            case "high" where !open:
                "The latest note records high risk; the counselor has since closed the flag with a reason (in the "
                    + "audit log); no open high-risk flag."
            case "high":
                "OPEN HIGH-RISK FLAG: the latest note records high risk; joint homework and conjoint sessions need an explicit override."
            case "moderate": "The latest note records moderate risk; no open high-risk flag."
            case "low": "The latest note records low risk; no open high-risk flag."
            default: "The latest note records no risk concerns."
            }
        return Risk(
            title: words.risk,
            omitted: nil,
            currentLevel: level,
            openHighRiskFlag: open,
            statement: statement,
            detail: facts.riskDetail
        )
    }

    private static func summary(_ facts: ReportFacts, _ words: ReportWording) -> Summary {
        if words.plain {
            return Summary(
                title: words.summary,
                omitted: "Your counselor will go through this report with you in session.",
                text: nil,
                nextReview: nil
            )
        }
        return Summary(
            title: words.summary,
            omitted: facts.summary == nil ? "No summary written for this period." : nil,
            text: facts.summary?.text,
            nextReview: facts.summary?.nextReview?.description
        )
    }

    private static func signatures(_ facts: ReportFacts, _ words: ReportWording, _ zone: TimeZone) -> Signatures {
        var lines = [Signature(role: "Counselor", name: facts.counselor.name, credentials: facts.counselor.credentials)]
        if facts.counselor.preLicensed {
            lines += facts.supervisors.map { Signature(role: "Supervisor", name: $0.name, credentials: $0.credentials) }
        }
        func who(_ signer: ReportFacts.Signer) -> String {
            signer.credentials.isEmpty ? signer.name : "\(signer.name), \(signer.credentials)"
        }
        let notes = facts.notes.compactMap { note -> NoteSignature? in
            guard let signature = note.signature else { return nil }
            let cosignature: String =
                switch (signature.cosignedBy, signature.cosignatureMatches) {
                case (_?, true?): "co-signed"
                case (_?, _): "co-signed, but for other content than the note now holds"
                case (nil, _): facts.counselor.preLicensed ? "awaiting co-signature" : "not required"
                }
            return NoteSignature(
                sessionDate: day(note.sessionStart, in: zone),
                signedBy: who(signature.signedBy),
                signedAt: minute(signature.signedAt, in: zone),
                contentHash: signature.contentHash,
                cosignedBy: signature.cosignedBy.map(who),
                cosignedAt: signature.cosignedAt.map { minute($0, in: zone) },
                cosignature: cosignature
            )
        }
        return Signatures(
            title: words.signatures,
            lines: lines,
            notes: notes,
            unsignedNotes: facts.notes.filter { !$0.signed }.count
        )
    }
}
