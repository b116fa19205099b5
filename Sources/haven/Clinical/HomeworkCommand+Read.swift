import ArgumentParser
import Foundation
import HavenHTTP

extension HomeworkCommand {
    /// `haven homework show ID`: one assignment with each partner's response.
    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "show",
            abstract: "Show an assignment with each partner's response (and whether they shared it).",
            discussion: "Example:\n  haven homework show 7a1b2c3d"
        )

        @OptionGroup var options: ClinicalOptions
        @OptionGroup var output: OutputOptions
        @Argument(help: "Assignment id or prefix.") var id: String

        func run() async throws {
            try await Clinic.with(options) { clinic in
                let style = try await clinic.dateStyle()
                let assignmentID = try await clinic.resolve(id, as: .assignment)
                let assignment = try await clinic.api.send(
                    "GET",
                    "/v1/homework/assignments/\(full(assignmentID))",
                    as: HavenAPI.AssignmentView.self
                )
                try output.emit(assignment) { HomeworkCommand.describe(assignment, style: style) }
            }
        }
    }

    /// `haven homework list --couple ID`: a couple's assignments, each with its responses.
    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "list",
            abstract: "List a couple's assignments with each partner's response.",
            discussion: "Example:\n  haven homework list --couple 3f2a91c0"
        )

        @OptionGroup var options: ClinicalOptions
        @OptionGroup var output: OutputOptions
        @Option(help: "Couple id or prefix.") var couple: String

        func run() async throws {
            try await Clinic.with(options) { clinic in
                let style = try await clinic.dateStyle()
                let coupleID = try await clinic.resolve(couple, as: .couple)
                let assignments = try await clinic.api.pages(
                    "/v1/couples/\(full(coupleID))/homework",
                    as: HavenAPI.AssignmentView.self
                )
                try output.emit(assignments) {
                    guard !assignments.isEmpty else { return "No homework assigned to this couple." }
                    return assignments.map { HomeworkCommand.describe($0, style: style) }.joined(separator: "\n\n")
                }
            }
        }
    }

    /// An assignment and its responses for people: who it was for, due date, status, then each
    /// partner's response (completion, when, shared or private to the counselor, text).
    static func describe(_ assignment: HavenAPI.AssignmentView, style: DateStyle) -> String {
        var lines = [
            "\(short(assignment.id))  \(assignment.promptTitle) (\(assignment.category))",
            "for \(assignment.partnerName ?? "both partners") of \(assignment.coupleName); assigned "
                + "\(assignment.assignedOn), due \(assignment.dueOn), \(assignment.recurrence); "
                + "status \(assignment.status)",
        ]
        if assignment.responses.isEmpty { lines.append("  no responses yet") }
        for response in assignment.responses {
            lines.append(
                "  \(response.partnerName): \(response.completion), \(style.dateTime(response.recordedAt)), "
                    + (response.sharedWithPartner ? "shared with the other partner" : "private to the counselor")
            )
            if let text = response.text {
                lines += text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).map { "    \($0)" }
            }
        }
        return lines.joined(separator: "\n")
    }
}
