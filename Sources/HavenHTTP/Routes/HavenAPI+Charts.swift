import Foundation
import HavenCore
import HavenService
import Hummingbird

extension HavenAPI {
    /// `POST /v1/clients`: a new client chart.
    public struct NewClientBody: Codable, Sendable {
        public var legalName: String
        public var preferredName: String?
        public var pronouns: String?
        public var dateOfBirth: String?
        public var intakeDate: String
        public var attachmentStyle: String?
        /// Default: the caller; else a counselor in the caller's reach (a supervisee).
        public var primaryCounselorId: UUID?

        public init(
            legalName: String,
            preferredName: String? = nil,
            pronouns: String? = nil,
            dateOfBirth: String? = nil,
            intakeDate: String,
            attachmentStyle: String? = nil,
            primaryCounselorId: UUID? = nil
        ) {
            self.legalName = legalName
            self.preferredName = preferredName
            self.pronouns = pronouns
            self.dateOfBirth = dateOfBirth
            self.intakeDate = intakeDate
            self.attachmentStyle = attachmentStyle
            self.primaryCounselorId = primaryCounselorId
        }
    }

    /// `POST /v1/couples`: a new couple chart of two clients.
    public struct NewCoupleBody: Codable, Sendable {
        public var partnerAId: UUID
        public var partnerBId: UUID
        public var startDate: String
        public var presentingConcerns: String?

        public init(
            partnerAId: UUID,
            partnerBId: UUID,
            startDate: String,
            presentingConcerns: String? = nil
        ) {
            self.partnerAId = partnerAId
            self.partnerBId = partnerBId
            self.startDate = startDate
            self.presentingConcerns = presentingConcerns
        }
    }

    /// Opening charts: a client (the acting counselor's) and a couple of two of their clients.
    func addCharts(to v1: RouterGroup<HavenRequestContext>) {
        let charts = ChartService(pool: pool, keys: keys)
        v1.post("/clients") { request, context in
            let actor = try context.requireActor()
            let body = try await APIJSON.decode(NewClientBody.self, from: request, context: context)
            let id = try await charts.createClient(
                .init(
                    legalName: body.legalName,
                    preferredName: body.preferredName,
                    pronouns: body.pronouns,
                    dateOfBirth: try body.dateOfBirth.map { try Self.date($0, field: "dateOfBirth") },
                    intakeDate: try Self.date(body.intakeDate, field: "intakeDate"),
                    attachmentStyle: try body.attachmentStyle.map { try Self.parse(AttachmentStyle.self, $0) },
                    primaryCounselorID: body.primaryCounselorId
                ),
                actor: actor
            )
            return try APIJSON.response(Created(id: id.uuidString.lowercased()), status: .created)
        }
        v1.post("/couples") { request, context in
            let actor = try context.requireActor()
            let body = try await APIJSON.decode(NewCoupleBody.self, from: request, context: context)
            let id = try await charts.createCouple(
                partnerA: body.partnerAId,
                partnerB: body.partnerBId,
                startDate: try Self.date(body.startDate, field: "startDate"),
                presentingConcerns: body.presentingConcerns,
                actor: actor
            )
            return try APIJSON.response(Created(id: id.uuidString.lowercased()), status: .created)
        }
    }

    /// A calendar date from request text, refused with the field at fault.
    static func date(_ text: String, field: String) throws -> CalendarDate {
        guard let date = CalendarDate(iso8601: text) else {
            throw ServiceError(.invalidInput, field: field, "is a date: YYYY-MM-DD")
        }
        return date
    }
}
