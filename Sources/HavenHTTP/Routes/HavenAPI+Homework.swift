import Foundation
import HTTPTypes
import HavenCore
import HavenService
import Hummingbird

extension HavenAPI {
    /// A homework prompt as the API sends it (and `haven homework library --json` prints it).
    public struct PromptLine: Codable, Sendable {
        public var id: String
        public var title: String
        public var category: String
        public var instructions: String
        public var frequency: String
        public var stages: [Int]
        /// The partners do it together (enactment-style) rather than each alone.
        public var joint: Bool
        /// Haven's own prompt rather than one the practice added.
        public var builtIn: Bool
    }

    /// `POST /v1/homework/assignments`: a prompt assigned to a couple or one partner.
    public struct AssignBody: Codable, Sendable {
        public var promptId: UUID
        public var coupleId: UUID
        public var partnerId: UUID?
        public var sessionId: UUID
        public var dueOn: String
        public var recurrence: String?
        public var riskOverrideReason: String?

        public init(
            promptId: UUID,
            coupleId: UUID,
            partnerId: UUID? = nil,
            sessionId: UUID,
            dueOn: String,
            recurrence: String? = nil,
            riskOverrideReason: String? = nil
        ) {
            self.promptId = promptId
            self.coupleId = coupleId
            self.partnerId = partnerId
            self.sessionId = sessionId
            self.dueOn = dueOn
            self.recurrence = recurrence
            self.riskOverrideReason = riskOverrideReason
        }
    }

    /// `POST /v1/homework/assignments/{id}/responses`: a partner's response or skip.
    public struct ResponseBody: Codable, Sendable {
        public var partnerId: UUID
        public var completion: String
        public var text: String?
        public var shared: Bool?

        public init(
            partnerId: UUID,
            completion: String,
            text: String? = nil,
            shared: Bool? = nil
        ) {
            self.partnerId = partnerId
            self.completion = completion
            self.text = text
            self.shared = shared
        }
    }

    /// An open assignment as the API sends it (and `haven homework open --json` prints it).
    public struct OpenLine: Codable, Sendable {
        public var id: String
        public var promptTitle: String
        public var coupleId: String
        /// The partners' names, "A & B".
        public var coupleName: String?
        /// The one partner it was given to; absent when given to both.
        public var partnerId: String?
        /// That partner's name; absent when given to both.
        public var partnerName: String?
        public var dueOn: String
        public var status: String
    }

    /// What assigning homework answers: the assignment's id and warnings (never refusals) such as the
    /// same prompt still open for the same partner.
    public struct Assigned: Codable, Sendable {
        public var id: String
        public var warnings: [String]
    }

    /// `POST /v1/homework/series-assignments`: a series assigned to a couple or one partner, its steps
    /// released one at a time (`HomeworkService.assignSeries`); without `seriesId`, the built-in
    /// emotional-safety practice.
    public struct AssignSeriesBody: Codable, Sendable {
        public var seriesId: UUID?
        public var coupleId: UUID
        public var partnerId: UUID?
        public var sessionId: UUID
        public var intervalDays: Int?
        public var riskOverrideReason: String?

        public init(
            seriesId: UUID? = nil,
            coupleId: UUID,
            partnerId: UUID? = nil,
            sessionId: UUID,
            intervalDays: Int? = nil,
            riskOverrideReason: String? = nil
        ) {
            self.seriesId = seriesId
            self.coupleId = coupleId
            self.partnerId = partnerId
            self.sessionId = sessionId
            self.intervalDays = intervalDays
            self.riskOverrideReason = riskOverrideReason
        }
    }

    /// What assigning a series answers: its id and its steps' assignment ids, in order.
    public struct AssignedSeries: Codable, Sendable {
        public var id: String
        public var steps: [String]
    }

    /// An assignment read back with each partner's response (`GET /v1/homework/assignments/{id}`,
    /// `GET /v1/couples/{coupleId}/homework`; `haven homework show|list --json` prints it).
    public struct AssignmentView: Codable, Sendable {
        public var id: String
        public var promptTitle: String
        public var category: String
        public var coupleId: String
        public var coupleName: String
        /// The one partner it was given to; absent when given to both.
        public var partnerId: String?
        public var partnerName: String?
        public var sessionId: String
        public var assignedOn: String
        public var dueOn: String
        public var recurrence: String
        /// assigned, overdue, completed, partly_completed or skipped.
        public var status: String
        public var responses: [ResponseView]

        init(_ assignment: HomeworkService.Assignment) {
            id = assignment.id.uuidString.lowercased()
            promptTitle = assignment.promptTitle
            category = assignment.category
            coupleId = assignment.coupleID.uuidString.lowercased()
            coupleName = assignment.coupleName
            partnerId = assignment.partnerID?.uuidString.lowercased()
            partnerName = assignment.partnerName
            sessionId = assignment.sessionID.uuidString.lowercased()
            assignedOn = assignment.assignedOn.description
            dueOn = assignment.dueOn.description
            recurrence = assignment.recurrence
            status = assignment.status.rawValue
            responses = assignment.responses.map {
                ResponseView(
                    partnerId: $0.partnerID.uuidString.lowercased(),
                    partnerName: $0.partnerName,
                    completion: $0.completion.rawValue,
                    text: $0.text,
                    sharedWithPartner: $0.sharedWithPartner,
                    recordedAt: $0.recordedAt
                )
            }
        }
    }

    /// One partner's response as staff read it: its text (if any) and whether the partner shared it
    /// with the other partner.
    public struct ResponseView: Codable, Sendable {
        public var partnerId: String
        public var partnerName: String
        public var completion: String
        public var text: String?
        public var sharedWithPartner: Bool
        public var recordedAt: Date
    }

    func addHomework(to v1: RouterGroup<HavenRequestContext>) {
        let homework = HomeworkService(pool: pool, keys: keys)
        v1.get("/homework/prompts") { request, context in
            let prompts = try await homework.library(actor: try context.requireActor())
            return try APIJSON.response(
                try Page(prompts, request: request, key: { $0.id.uuidString.lowercased() }) {
                    PromptLine(
                        id: $0.id.uuidString.lowercased(),
                        title: $0.title,
                        category: $0.category.rawValue,
                        instructions: $0.instructions,
                        frequency: $0.frequency.rawValue,
                        stages: $0.stages.map(\.rawValue),
                        joint: $0.joint,
                        builtIn: $0.builtIn
                    )
                }
            )
        }
        v1.post("/homework/assignments") { request, context in
            let actor = try context.requireActor()
            let body = try await APIJSON.decode(AssignBody.self, from: request, context: context)
            guard let due = CalendarDate(iso8601: body.dueOn) else {
                throw ServiceError(.invalidInput, field: "dueOn", "is a date: YYYY-MM-DD")
            }
            guard let recurrence = HomeworkService.Recurrence(rawValue: body.recurrence ?? "none") else {
                throw ServiceError(.invalidInput, field: "recurrence", "is one of: none, daily, weekly")
            }
            let assigned = try await homework.assign(
                prompt: body.promptId,
                couple: body.coupleId,
                partner: body.partnerId,
                session: body.sessionId,
                dueOn: due,
                recurrence: recurrence,
                today: try await self.today(actor),
                riskOverrideReason: body.riskOverrideReason,
                actor: actor
            )
            return try APIJSON.response(
                Assigned(id: assigned.id.uuidString.lowercased(), warnings: assigned.warnings),
                status: .created
            )
        }
        v1.post("/homework/series-assignments") { request, context in
            let actor = try context.requireActor()
            let body = try await APIJSON.decode(AssignSeriesBody.self, from: request, context: context)
            // Without one named, the built-in emotional-safety practice, by its stable id.
            let assigned = try await homework.assignSeries(
                body.seriesId ?? HomeworkService.emotionalSafetySeriesID,
                couple: body.coupleId,
                partner: body.partnerId,
                session: body.sessionId,
                intervalDays: body.intervalDays ?? HomeworkService.defaultSeriesInterval,
                today: try await self.today(actor),
                riskOverrideReason: body.riskOverrideReason,
                actor: actor
            )
            return try APIJSON.response(
                AssignedSeries(id: Self.text(assigned.id), steps: assigned.steps.map(Self.text)),
                status: .created
            )
        }
        v1.post("/homework/assignments/{assignmentId}/responses") { request, context in
            let actor = try context.requireActor()
            let body = try await APIJSON.decode(ResponseBody.self, from: request, context: context)
            guard let completion = HomeworkService.Completion(rawValue: body.completion) else {
                throw ServiceError(
                    .invalidInput,
                    field: "completion",
                    "is one of: completed, partly_completed, skipped"
                )
            }
            try await homework.recordResponse(
                assignment: try Self.id("assignmentId", context),
                partner: body.partnerId,
                completion: completion,
                text: body.text,
                shareWithPartner: body.shared ?? false,
                actor: actor
            )
            return Response(status: .noContent)
        }
        v1.get("/homework/assignments/{assignmentId}") { _, context in
            let actor = try context.requireActor()
            let assignment = try await homework.assignment(
                try Self.id("assignmentId", context),
                today: try await self.today(actor),
                actor: actor
            )
            return try APIJSON.response(AssignmentView(assignment))
        }
        v1.get("/couples/{coupleId}/homework") { request, context in
            let actor = try context.requireActor()
            let assignments = try await homework.assignments(
                couple: try Self.id("coupleId", context),
                today: try await self.today(actor),
                actor: actor
            )
            return try APIJSON.response(
                try Page(assignments, request: request, key: { $0.id.uuidString.lowercased() }) {
                    AssignmentView($0)
                }
            )
        }
        v1.get("/homework/open") { request, context in
            let actor = try context.requireActor()
            let overdueOnly: Bool
            switch request.uri.queryParameters.get("overdue").map({ String($0) }) {
            case nil, "false": overdueOnly = false
            case "true": overdueOnly = true
            default:
                throw APIError(
                    status: .badRequest,
                    kind: "bad-parameter",
                    detail: "overdue is true or false",
                    field: "overdue"
                )
            }
            let open = try await homework.openAssignments(today: try await self.today(actor), actor: actor)
                .filter { !overdueOnly || $0.status == .overdue }
            return try APIJSON.response(
                try Page(open, request: request, key: { $0.id.uuidString.lowercased() }) {
                    OpenLine(
                        id: $0.id.uuidString.lowercased(),
                        promptTitle: $0.promptTitle,
                        coupleId: $0.coupleID.uuidString.lowercased(),
                        coupleName: $0.coupleName,
                        partnerId: $0.partnerID?.uuidString.lowercased(),
                        partnerName: $0.partnerName,
                        dueOn: $0.dueOn.description,
                        status: $0.status.rawValue
                    )
                }
            )
        }
    }

    /// Today in the actor's practice's time zone.
    func today(_ actor: StaffActor) async throws -> CalendarDate {
        let practice = try await PracticeService(pool: pool).practice(actor: actor)
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: practice.timeZone) ?? TimeZone(identifier: "UTC")!
        let parts = calendar.dateComponents([.year, .month, .day], from: Date())
        return CalendarDate(year: parts.year!, month: parts.month!, day: parts.day!)!
    }
}
