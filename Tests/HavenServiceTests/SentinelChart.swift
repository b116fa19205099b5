import Foundation
import HavenCore
import HavenService
import HavenServiceFixtures
import Postgres

/// A couple's chart with one sentinel phrase in every place a partner's export (or a report) must
/// or must not reach.
struct SentinelChart {
    var couple: UUID
    var a: UUID
    var b: UUID

    /// The day the chart's homework is assigned.
    static let today = CalendarDate(year: 2026, month: 11, day: 22)!

    /// Fills counselor A's new couple's chart in `setup`: a signed conjoint note with an addendum,
    /// partner B's individual note, homework answered by each partner.
    static func fill(_ setup: ClinicSetup) async throws -> SentinelChart {
        let (conjoint, couple, a, b) = try await setup.completedSession()
        var draft = NoteService.Draft.sample
        draft.body = "CONJOINT-NOTE-SENTINEL"
        let (note, version) = try await setup.notes.writeDraft(draft, session: conjoint, actor: setup.counselorA)
        _ = try await setup.notes.sign(note, expectedVersion: version, actor: setup.counselorA)
        _ = try await setup.notes.addAddendum(
            to: note,
            reason: "ADDENDUM-REASON-SENTINEL",
            text: "ADDENDUM-BODY-SENTINEL",
            actor: setup.counselorA
        )
        // Partner B's individual session and its note: B's record only.
        let individual = try await setup.sessions.schedule(
            .client(b),
            start: Date(timeIntervalSince1970: 1_790_100_000),
            durationMinutes: 50,
            format: .video,
            actor: setup.counselorA
        )
        try await setup.sessions.setStatus(.completed, session: individual, actor: setup.counselorA)
        draft.body = "B-INDIVIDUAL-SENTINEL"
        _ = try await setup.notes.writeDraft(draft, session: individual, actor: setup.counselorA)

        let homework = HomeworkService(pool: setup.fixture.app, keys: setup.keys)
        let prompt = try await homework.library(actor: setup.counselorA).first { !$0.joint }!.id
        let both = try await homework.assign(
            prompt: prompt,
            couple: couple,
            session: conjoint,
            dueOn: today.adding(days: 7),
            today: today,
            actor: setup.counselorA
        ).id
        try await homework.recordResponse(
            assignment: both,
            partner: a,
            completion: .completed,
            text: "A-RESPONSE-SENTINEL",
            actor: setup.counselorA
        )
        try await homework.recordResponse(
            assignment: both,
            partner: b,
            completion: .completed,
            text: "B-PRIVATE-SENTINEL",
            actor: setup.counselorA
        )
        let shared = try await homework.assign(
            prompt: prompt,
            couple: couple,
            session: conjoint,
            dueOn: today.adding(days: 7),
            today: today,
            actor: setup.counselorA
        ).id
        try await homework.recordResponse(
            assignment: shared,
            partner: b,
            completion: .partlyCompleted,
            text: "B-SHARED-SENTINEL",
            shareWithPartner: true,
            actor: setup.counselorA
        )
        let cycleMaps = CycleMapService(pool: setup.fixture.app, keys: setup.keys)
        func map(_ text: String) -> CycleMapService.Map {
            .init(
                trigger: text,
                actionTendency: "pursue",
                perceptionOfPartner: "distant",
                reactiveEmotion: "anger",
                primaryEmotion: "fear",
                unmetNeed: "reassurance"
            )
        }
        _ = try await cycleMaps.revise(
            couple: couple,
            partner: a,
            position: .pursuer,
            map: map("A-CYCLE-SENTINEL"),
            actor: setup.counselorA
        )
        _ = try await cycleMaps.revise(
            couple: couple,
            partner: b,
            position: .withdrawer,
            map: map("B-CYCLE-SENTINEL"),
            actor: setup.counselorA
        )
        let process = PsychotherapyNoteService(pool: setup.fixture.app, keys: setup.keys)
        _ = try await process.write("PROCESS-NOTE-SENTINEL", chart: .couple(couple), actor: setup.counselorA)
        return SentinelChart(couple: couple, a: a, b: b)
    }
}
