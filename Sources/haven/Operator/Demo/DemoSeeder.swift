import Foundation
import HavenCore
import HavenService
import Postgres

/// Builds the demo practice through the services: staff as the owner, everything clinical as the
/// demo counselors through haven_app, so it is sealed, row-level checked and audited like real use.
struct DemoSeeder {
    let owner: ConnectionPool
    let app: ConnectionPool
    let keys: KeyManager
    let password: String

    struct Summary {
        var staff = 0
        var couples = 0
        var sessions = 0
        var notes = 0
        var homework = 0
        var measures = 0
    }

    func seed(now: Date = Date()) async throws -> Summary {
        var summary = Summary()
        let staffService = StaffService(pool: owner)
        let practice = try await staffService.createPractice(name: DemoData.practiceName, timeZone: DemoData.timeZone)
        var actors: [StaffActor] = []
        for member in DemoData.staff {
            let id = try await staffService.createStaff(
                .init(
                    email: member.email,
                    displayName: member.name,
                    credentials: member.credentials,
                    roles: member.roles,
                    preLicensed: member.preLicensed,
                    password: password
                ),
                practiceID: practice,
                source: "demo-seed"
            )
            actors.append(try await staffService.openSession(for: id, practiceID: practice, source: "demo-seed"))
            summary.staff += 1
        }
        // Morgan supervises Sam, who is pre-licensed: Morgan co-signs Sam's notes.
        try await staffService.addSupervision(
            supervisor: actors[2].staffID,
            supervisee: actors[1].staffID,
            practiceID: practice,
            source: "demo-seed"
        )
        let library = try await HomeworkService(pool: app, keys: keys).library(actor: actors[0])
        for (index, couple) in DemoData.couples.enumerated() {
            try await seed(couple, index: index, actors: actors, library: library, now: now, summary: &summary)
        }
        // The seed acted through operator-opened sessions; none outlives it.
        for actor in actors {
            try await staffService.endSessions(of: actor.staffID, practiceID: practice, source: "demo-seed")
        }
        return summary
    }

    private func seed(
        _ couple: DemoData.Couple,
        index: Int,
        actors: [StaffActor],
        library: [HomeworkService.Prompt],
        now: Date,
        summary: inout Summary
    ) async throws {
        let actor = actors[couple.counselor]
        let charts = ChartService(pool: app, keys: keys)
        let sessions = SessionService(pool: app, keys: keys)
        let notes = NoteService(pool: app, keys: keys)
        let homework = HomeworkService(pool: app, keys: keys)
        let measures = MeasureService(pool: app)
        let week = 7 * 86_400.0
        // Weekly sessions, the latest six days ago and the next tomorrow, at an hour of the working day
        // that differs per couple (practice time).
        let style = DateStyle(timeZoneName: DemoData.timeZone)
        let firstDay = style.today(now).adding(days: -6 - 7 * (couple.sessions - 1))
        let first = style.start(of: firstDay).addingTimeInterval(Double(10 + index) * 3_600)
        let intake = calendarDate(first.addingTimeInterval(-week))
        let a = try await charts.createClient(
            .init(legalName: couple.partnerA.legal, preferredName: couple.partnerA.preferred, intakeDate: intake),
            actor: actor
        )
        let b = try await charts.createClient(
            .init(legalName: couple.partnerB.legal, preferredName: couple.partnerB.preferred, intakeDate: intake),
            actor: actor
        )
        let coupleID = try await charts.createCouple(
            partnerA: a,
            partnerB: b,
            startDate: intake,
            presentingConcerns: couple.concerns,
            actor: actor
        )
        summary.couples += 1
        let csi4 = try await measures.definitionID(code: "CSI-4", actor: actor)
        var previousStep = 1
        for number in 0..<couple.sessions {
            let start = first.addingTimeInterval(Double(number) * week)
            let session = try await sessions.schedule(
                .couple(coupleID),
                start: start,
                durationMinutes: 50,
                format: number % 3 == 2 ? .video : .inPerson,
                actor: actor
            )
            try await sessions.setStatus(.completed, session: session, actor: actor)
            summary.sessions += 1
            let fraction = couple.sessions == 1 ? 1 : Double(number) / Double(couple.sessions - 1)
            let step = 1 + Int((Double(couple.reachedStep - 1) * fraction).rounded())
            let stage = step <= 4 ? 1 : step <= 7 ? 2 : 3
            let draft = NoteService.Draft(
                stage: stage,
                step: step,
                stepPartnerID: (5...7).contains(step) ? (number % 2 == 0 ? b : a) : nil,
                interventions: DemoData.interventions(step: step),
                changeEvents: DemoData.changeEvents(step: step, previous: previousStep),
                body: DemoData.noteBody(step: step, a: couple.partnerA.preferred, b: couple.partnerB.preferred)
            )
            previousStep = step
            let (note, version) = try await notes.writeDraft(draft, session: session, actor: actor)
            // The latest note stays a draft, as it often is the day after a session.
            if number < couple.sessions - 1 {
                _ = try await notes.sign(note, expectedVersion: version, actor: actor)
                if couple.counselor == 1 { try await notes.cosign(note, actor: actors[2]) }
            }
            summary.notes += 1
            if step >= 3 && number % 2 == 1 {
                // A.R.E.: how accessible, responsive and engaged each partner was, rising with the work.
                let level = min(5, 1 + step / 2)
                for (partner, offset) in [(a, 0), (b, -1)] {
                    try await measures.rateARE(
                        try ARERating(
                            accessible: max(1, level + offset),
                            responsive: max(1, level - 1 + offset),
                            engaged: max(1, level + offset)
                        ),
                        partner: partner,
                        session: session,
                        actor: actor
                    )
                }
            }
            if number % 4 == 0 || number == couple.sessions - 1 {
                for (partner, range) in [
                    (a, (couple.csiStart.0, couple.csiNow.0)), (b, (couple.csiStart.1, couple.csiNow.1)),
                ] {
                    let total = range.0 + Int((Double(range.1 - range.0) * fraction).rounded())
                    _ = try await measures.record(
                        measure: csi4,
                        client: partner,
                        administeredOn: calendarDate(start),
                        items: Self.csi4Items(total: total),
                        session: session,
                        actor: actor
                    )
                    summary.measures += 1
                }
            }
            if number % 3 == 1 || number == couple.sessions - 1 {
                let suited = library.filter { $0.stages.contains { $0.rawValue == stage } }
                let prompt = suited[(number / 3 + index) % suited.count]
                let assigned = calendarDate(start)
                let assignment = try await homework.assign(
                    prompt: prompt.id,
                    couple: coupleID,
                    session: session,
                    dueOn: assigned.adding(days: 7),
                    recurrence: prompt.frequency == .once ? .none : .weekly,
                    today: assigned,
                    actor: actor
                ).id
                summary.homework += 1
                // Earlier homework was answered; the latest is still open.
                if number < couple.sessions - 1 {
                    try await homework.recordResponse(
                        assignment: assignment,
                        partner: a,
                        completion: .completed,
                        text: "Fictional: we tried it twice and talked about what came up.",
                        shareWithPartner: true,
                        actor: actor
                    )
                    try await homework.recordResponse(
                        assignment: assignment,
                        partner: b,
                        completion: number % 2 == 0 ? .partlyCompleted : .skipped,
                        actor: actor
                    )
                }
            }
        }
        try await recordFormulation(couple, index: index, coupleID: coupleID, partners: (a, b), actor: actor)
        // The next session, next week.
        _ = try await sessions.schedule(
            .couple(coupleID),
            start: first.addingTimeInterval(Double(couple.sessions) * week),
            durationMinutes: 50,
            format: .inPerson,
            actor: actor
        )
        summary.sessions += 1
    }

    /// Goals, each partner's cycle map, and an injury for couples far enough along.
    private func recordFormulation(
        _ couple: DemoData.Couple,
        index: Int,
        coupleID: UUID,
        partners: (a: UUID, b: UUID),
        actor: StaffActor
    ) async throws {
        let records = CoupleRecordService(pool: app, keys: keys)
        let goals = [
            "Catch the pattern early and call a pause before it escalates",
            "Each say what hurts underneath the anger or the silence",
            "Plan one unhurried hour together every week",
        ]
        for (number, goal) in goals.enumerated() {
            let id = try await records.addGoal(couple: coupleID, description: goal, actor: actor)
            let status =
                couple.reachedStep >= 4 + 2 * number
                ? "met" : couple.reachedStep >= 2 + 2 * number ? "in_progress" : "open"
            if status != "open" { try await records.setGoalStatus(id, status: status, actor: actor) }
        }
        let maps = CycleMapService(pool: app, keys: keys)
        _ = try await maps.revise(
            couple: coupleID,
            partner: partners.a,
            position: .pursuer,
            map: .init(
                trigger: "Plans change at the last minute",
                actionTendency: "Presses for an answer, follows into the next room",
                perceptionOfPartner: "Doesn't care enough to show up",
                reactiveEmotion: "frustration",
                primaryEmotion: "fear of not mattering",
                unmetNeed: "reassurance that they come first"
            ),
            actor: actor
        )
        _ = try await maps.revise(
            couple: coupleID,
            partner: partners.b,
            position: .withdrawer,
            map: .init(
                trigger: "A sharp tone at the door",
                actionTendency: "Goes quiet, finds something to fix",
                perceptionOfPartner: "Can never be pleased",
                reactiveEmotion: "numbness",
                primaryEmotion: "shame at failing",
                unmetNeed: "to feel accepted as enough"
            ),
            actor: actor
        )
        guard couple.reachedStep >= 5 else { return }
        let style = DateStyle(timeZoneName: DemoData.timeZone)
        let injury = try await records.recordInjury(
            couple: coupleID,
            injuredPartner: partners.a,
            description: "Felt abandoned when the other stayed at work during a family emergency.",
            identifiedOn: style.today().adding(days: -7 * (couple.sessions / 2)),
            actor: actor
        )
        let resolved = couple.reachedStep >= 8
        try await records.updateInjury(
            injury,
            step: resolved ? 8 : 4,
            status: resolved ? .resolved : .inRepair,
            resolvedOn: resolved ? style.today().adding(days: -14) : nil,
            actor: actor
        )
    }

    /// CSI-4 answers adding up to `total` (item 1 is scored 0–6, items 2–4 0–5).
    static func csi4Items(total: Int) -> [Int] {
        var remaining = max(0, min(21, total))
        var items: [Int] = []
        for maximum in [6, 5, 5, 5] {
            let share = min(maximum, Int((Double(remaining) / Double(4 - items.count)).rounded(.up)))
            items.append(share)
            remaining -= share
        }
        return items
    }

    private func calendarDate(_ date: Date) -> CalendarDate {
        DateStyle(timeZoneName: DemoData.timeZone).today(date)
    }
}
