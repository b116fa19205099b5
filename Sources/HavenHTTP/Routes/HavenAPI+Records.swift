import Foundation
import HTTPTypes
import HavenCore
import HavenService
import Hummingbird

extension HavenAPI {
    /// A client chart as the API sends it (and the CLI's `--json` prints it).
    public struct ClientView: Codable, Sendable {
        public var id: String
        public var legalName: String
        public var preferredName: String?
        public var pronouns: String?
        public var dateOfBirth: String?
        public var intakeDate: String
        public var status: String
        public var attachmentStyle: String?
        public var primaryCounselorId: String
        /// In the caseload list only: the individual chart's latest note's stage and step, the latest
        /// risk level a note records, and the last completed and next scheduled individual sessions.
        public var stage: Int?
        public var step: Int?
        public var riskLevel: String?
        public var lastSession: Date?
        public var nextSession: Date?

        init(_ summary: ChartService.ClientSummary) {
            self.init(summary.client)
            stage = summary.stage
            step = summary.step
            riskLevel = summary.riskLevel
            lastSession = summary.lastSession
            nextSession = summary.nextSession
        }

        init(_ client: ChartService.Client) {
            id = client.id.uuidString.lowercased()
            legalName = client.legalName
            preferredName = client.preferredName
            pronouns = client.pronouns
            dateOfBirth = client.dateOfBirth?.description
            intakeDate = client.intakeDate.description
            status = client.status
            attachmentStyle = client.attachmentStyle
            primaryCounselorId = client.primaryCounselorID.uuidString.lowercased()
        }
    }

    /// `POST /v1/couples/{id}/goals` and `/injuries`: a goal or an injury's description (sealed).
    public struct TextBody: Codable, Sendable {
        public var description: String
        public var injuredPartnerId: UUID?
        public var identifiedOn: String?

        public init(
            description: String,
            injuredPartnerId: UUID? = nil,
            identifiedOn: String? = nil
        ) {
            self.description = description
            self.injuredPartnerId = injuredPartnerId
            self.identifiedOn = identifiedOn
        }
    }

    /// `PUT /v1/goals/{id}/status`.
    public struct GoalStatusBody: Codable, Sendable {
        public var status: String

        public init(
            status: String
        ) {
            self.status = status
        }
    }

    /// `POST /v1/notes/{id}/addenda`: a signed note's addendum and why it is made.
    public struct AddendumBody: Codable, Sendable {
        public var reason: String
        public var text: String

        public init(
            reason: String,
            text: String
        ) {
            self.reason = reason
            self.text = text
        }
    }

    /// A treatment goal as the API sends it (and `haven goal list --json` prints it).
    public struct GoalLine: Codable, Sendable {
        public var id: String
        public var description: String
        public var status: String
    }

    /// An attachment injury as the API sends it (and `haven injury list --json` prints it).
    public struct InjuryLine: Codable, Sendable {
        public var id: String
        public var injuredPartnerId: String
        /// The injured partner's name.
        public var injuredPartnerName: String?
        public var description: String
        public var identifiedOn: String
        public var status: String
        public var resolutionStep: Int
        public var resolvedOn: String?
    }

    func addRecords(to v1: RouterGroup<HavenRequestContext>) {
        let charts = ChartService(pool: pool, keys: keys)
        let records = CoupleRecordService(pool: pool, keys: keys)
        let notes = NoteService(pool: pool, keys: keys)
        v1.get("/clients") { request, context in
            let clients = try await charts.listClientSummaries(actor: try context.requireActor())
            return try APIJSON.response(
                try Page(
                    clients,
                    request: request,
                    key: { $0.client.id.uuidString.lowercased() },
                    line: ClientView.init
                )
            )
        }
        v1.get("/clients/{clientId}") { _, context in
            try APIJSON.response(
                ClientView(try await charts.client(try Self.id("clientId", context), actor: try context.requireActor()))
            )
        }
        v1.get("/couples/{coupleId}/goals") { request, context in
            let goals = try await records.goals(
                couple: try Self.id("coupleId", context),
                actor: try context.requireActor()
            )
            return try APIJSON.response(
                try Page(goals, request: request, key: { $0.id.uuidString.lowercased() }) {
                    GoalLine(id: $0.id.uuidString.lowercased(), description: $0.description, status: $0.status)
                }
            )
        }
        v1.post("/couples/{coupleId}/goals") { request, context in
            let actor = try context.requireActor()
            let body = try await APIJSON.decode(TextBody.self, from: request, context: context)
            let id = try await records.addGoal(
                couple: try Self.id("coupleId", context),
                description: body.description,
                actor: actor
            )
            return try APIJSON.response(Created(id: id.uuidString.lowercased()), status: .created)
        }
        v1.put("/goals/{goalId}/status") { request, context in
            let actor = try context.requireActor()
            let body = try await APIJSON.decode(GoalStatusBody.self, from: request, context: context)
            try await records.setGoalStatus(try Self.id("goalId", context), status: body.status, actor: actor)
            return Response(status: .noContent)
        }
        v1.get("/couples/{coupleId}/injuries") { request, context in
            let injuries = try await records.injuries(
                couple: try Self.id("coupleId", context),
                actor: try context.requireActor()
            )
            return try APIJSON.response(
                try Page(injuries, request: request, key: { $0.id.uuidString.lowercased() }) {
                    InjuryLine(
                        id: $0.id.uuidString.lowercased(),
                        injuredPartnerId: $0.injuredPartnerID.uuidString.lowercased(),
                        injuredPartnerName: $0.injuredPartnerName,
                        description: $0.description,
                        identifiedOn: $0.identifiedOn.description,
                        status: $0.status.rawValue,
                        resolutionStep: $0.resolutionStep,
                        resolvedOn: $0.resolvedOn?.description
                    )
                }
            )
        }
        v1.post("/couples/{coupleId}/injuries") { request, context in
            let actor = try context.requireActor()
            let body = try await APIJSON.decode(TextBody.self, from: request, context: context)
            guard let partner = body.injuredPartnerId else {
                throw ServiceError(.invalidInput, field: "injuredPartnerId", "is required")
            }
            let identified: CalendarDate
            if let text = body.identifiedOn {
                identified = try Self.date(text, field: "identifiedOn")
            } else {
                identified = try await self.today(actor)
            }
            let id = try await records.recordInjury(
                couple: try Self.id("coupleId", context),
                injuredPartner: partner,
                description: body.description,
                identifiedOn: identified,
                actor: actor
            )
            return try APIJSON.response(Created(id: id.uuidString.lowercased()), status: .created)
        }
        v1.post("/notes/{noteId}/addenda") { request, context in
            let actor = try context.requireActor()
            let body = try await APIJSON.decode(AddendumBody.self, from: request, context: context)
            let id = try await notes.addAddendum(
                to: try Self.id("noteId", context),
                reason: body.reason,
                text: body.text,
                actor: actor
            )
            return try APIJSON.response(Created(id: id.uuidString.lowercased()), status: .created)
        }
        v1.post("/notes/{noteId}/cosign") { _, context in
            try await notes.cosign(try Self.id("noteId", context), actor: try context.requireActor())
            return Response(status: .noContent)
        }
    }
}
