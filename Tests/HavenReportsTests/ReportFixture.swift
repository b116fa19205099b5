import Foundation
import HavenCore
import HavenService

/// A fixed fictional couple's facts: every section has something to show, and every id and date is
/// constant, so rendered output can be compared byte for byte.
enum ReportFixture {
    static let couple = UUID(uuidString: "00000000-0000-4000-8000-00000000c001")!
    static let robin = UUID(uuidString: "00000000-0000-4000-8000-00000000a001")!
    static let drew = UUID(uuidString: "00000000-0000-4000-8000-00000000b001")!
    static let generatedOn = CalendarDate(year: 2026, month: 11, day: 30)!

    static func date(_ iso: String) -> CalendarDate { CalendarDate(iso8601: iso)! }

    /// Noon UTC on `iso`.
    static func instant(_ iso: String) -> Date {
        Date(timeIntervalSince1970: Double(date(iso).daysSince1970) * 86_400 + 12 * 3_600)
    }

    static func facts(audience: ReportAudience = .clinical, sessions count: Int = 8) -> ReportFacts {
        let start = date("2026-09-01")
        let sessions = (0..<count).map { number in
            ReportFacts.Session(
                id: UUID(uuidString: String(format: "00000000-0000-4000-8000-%012d", 5000 + number))!,
                start: instant(start.adding(days: 7 * number).description),
                status: number == 3 ? "late_cancelled" : "completed",
                format: "in_person"
            )
        }
        let steps = [1, 2, 2, 3, 4, 4, 5, 5]
        let notes = sessions.enumerated().filter { $0.element.status == "completed" }.map { number, session in
            let step = number < steps.count ? steps[number] : min(9, 5 + (number - steps.count) / 20)
            return ReportFacts.Note(
                sessionID: session.id,
                sessionStart: session.start,
                stage: step <= 4 ? 1 : step <= 7 ? 2 : 3,
                step: step,
                stepPartnerID: step >= 5 ? drew : nil,
                changeEvents: number == 4 ? ["cycle_deescalated"] : [],
                riskLevel: number == count - 1 ? "moderate" : "low",
                signed: number != count - 1,
                signature: number == count - 1
                    ? nil
                    : .init(
                        signedBy: .init(name: "Sam Ortiz", credentials: "AMFT"),
                        signedAt: session.start.addingTimeInterval(3_600 + Double(number) * 60),
                        contentHash: String(repeating: String(format: "%02x", number % 256), count: 32),
                        cosignedBy: number < 2 ? .init(name: "Morgan Blake", credentials: "LMFT") : nil,
                        cosignedAt: number < 2 ? session.start.addingTimeInterval(86_400) : nil,
                        cosignatureMatches: number < 2 ? true : nil
                    )
            )
        }
        let csi = { (partner: UUID, values: [Double]) in
            values.enumerated().map { index, total in
                ReportFacts.Measure(
                    partnerID: partner,
                    code: "CSI-4",
                    name: "Couples Satisfaction Index, 4 items",
                    date: start.adding(days: 28 * index),
                    total: total,
                    cutoff: 13.5,
                    higherIsBetter: true,
                    standardDeviation: 3.2,
                    reliability: 0.9
                )
            }
        }
        let assignments = (0..<3).map { number in
            ReportFacts.Assignment(
                id: UUID(uuidString: String(format: "00000000-0000-4000-8000-%012d", 7000 + number))!,
                title: ["Spot the dance", "Soft start-up", "Three appreciations"][number],
                category: ["cycle_awareness", "responsiveness", "bonding"][number],
                partnerID: number == 1 ? robin : nil,
                assignedOn: start.adding(days: 7 * number),
                dueOn: start.adding(days: 7 * number + 7)
            )
        }
        var responses = [
            ReportFacts.Response(assignmentID: assignments[0].id, partnerID: robin, completion: "completed"),
            ReportFacts.Response(assignmentID: assignments[0].id, partnerID: drew, completion: "partly_completed"),
            ReportFacts.Response(assignmentID: assignments[1].id, partnerID: robin, completion: "skipped"),
        ]
        // Robin did not share that response: the client audience only learns it exists.
        if audience == .client { responses[2].completion = "private" }
        return ReportFacts(
            audience: audience,
            practiceName: "Harbor Counseling (fictional)",
            timeZone: "America/Chicago",
            chart: .couple(couple),
            partners: [.init(id: robin, name: "Robin"), .init(id: drew, name: "Drew")],
            counselor: .init(
                id: UUID(uuidString: "00000000-0000-4000-8000-00000000d001")!,
                name: "Sam Ortiz",
                credentials: "AMFT",
                preLicensed: true
            ),
            supervisors: [
                .init(
                    id: UUID(uuidString: "00000000-0000-4000-8000-00000000d002")!,
                    name: "Morgan Blake",
                    credentials: "LMFT",
                    preLicensed: false
                )
            ],
            periodFrom: start,
            periodTo: date("2026-11-30"),
            presentingConcerns: audience == .clinical ? "Arguments about money end in days of silence." : nil,
            cyclePattern: "pursue_withdraw",
            cycle: [
                .init(
                    partnerID: robin,
                    position: "pursuer",
                    primaryEmotion: audience == .clinical ? "fear of being alone" : nil,
                    unmetNeed: audience == .clinical ? "reassurance" : nil
                ),
                .init(partnerID: drew, position: "withdrawer"),
            ],
            sessions: sessions,
            notes: notes,
            riskDetail: audience == .clinical ? "Raised voices; no threats; safety plan reviewed." : nil,
            goals: [.init(description: "Pause the cycle before it escalates", status: "in_progress")],
            injuries: ["in_repair": 1],
            measures: csi(robin, [9, 11, 15]) + csi(drew, [12, 12, 14]),
            areRatings: [
                .init(
                    partnerID: robin,
                    sessionStart: sessions[min(6, count - 1)].start,
                    accessible: 3,
                    responsive: 3,
                    engaged: 4
                )
            ],
            assignments: assignments,
            responses: responses,
            summary: audience == .clinical
                ? .init(
                    text: "Good engagement; continue stage 2 work.",
                    nextReview: date("2027-01-15"),
                    writtenAt: instant("2026-11-29")
                )
                : nil,
            queryCount: 12
        )
    }
}
