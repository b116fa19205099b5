import Foundation
import HavenService
import Hummingbird

extension HavenAPI {
    /// The practice's administration as JSON: settings and staff with roles and supervision.
    struct AdministrationJSON: Encodable {
        struct Colleague: Encodable {
            var id: String
            var displayName: String
        }

        struct Member: Encodable {
            var id: String
            var displayName: String
            var email: String
            var roles: [String]
            var preLicensed: Bool
            var active: Bool
            var totpEnrolled: Bool
            var supervisors: [Colleague]
            var supervisees: [Colleague]
            var hasPassword: Bool
            var passwordLinkIssuer: Colleague?
        }

        var practiceId: String
        var practiceName: String
        var timeZone: String
        var requireTotp: Bool
        var staff: [Member]
        var pendingChanges: [Change]

        /// A widening change waiting for a second admin.
        struct Change: Encodable {
            var id: String
            var kind: String
            var target: Colleague?
            var supervisor: Colleague?
            var roles: [String]
            var proposedBy: Colleague
            var proposedAt: Date
            var expiresAt: Date
        }

        init(_ administration: PracticeService.Administration) {
            func colleague(_ colleague: StaffService.Colleague) -> Colleague {
                Colleague(id: colleague.id.uuidString.lowercased(), displayName: colleague.displayName)
            }
            practiceId = administration.practice.id.uuidString.lowercased()
            practiceName = administration.practice.name
            timeZone = administration.practice.timeZone
            requireTotp = administration.requireTOTP
            staff = administration.staff.map { member in
                Member(
                    id: member.id.uuidString.lowercased(),
                    displayName: member.displayName,
                    email: member.email,
                    roles: member.roles,
                    preLicensed: member.preLicensed,
                    active: member.active,
                    totpEnrolled: member.totpEnrolled,
                    supervisors: member.supervisors.map(colleague),
                    supervisees: member.supervisees.map(colleague),
                    hasPassword: member.hasPassword,
                    passwordLinkIssuer: member.passwordLinkIssuer.map(colleague)
                )
            }
            pendingChanges = administration.pendingChanges.map { change in
                Change(
                    id: change.id.uuidString.lowercased(),
                    kind: change.kind.rawValue,
                    target: change.target.map(colleague),
                    supervisor: change.supervisor.map(colleague),
                    roles: change.roles,
                    proposedBy: colleague(change.proposedBy),
                    proposedAt: change.proposedAt,
                    expiresAt: change.expiresAt
                )
            }
        }
    }

    /// `PUT /v1/staff/{staffId}/roles`.
    struct RolesBody: Decodable {
        var roles: [String]
    }

    /// `POST /v1/staff/{staffId}/supervisors`.
    struct SupervisorBody: Decodable {
        var supervisorId: UUID
    }

    /// `PUT /v1/staff/totp-policy`.
    struct TOTPPolicyBody: Decodable {
        var required: Bool
    }

    /// `POST /v1/staff`.
    struct NewStaffBody: Decodable {
        var email: String
        var displayName: String
        var roles: [String]
    }

    /// A one-time set-password link, shown once (`POST /v1/staff`, `/v1/staff/{staffId}/password-link`).
    struct PasswordLinkJSON: Encodable {
        var staffId: String
        var token: String
        /// Where the staff member spends it: `/welcome/{token}` on this server.
        var path: String
        var expiresInSeconds: Int

        init(_ link: StaffAdminService.PasswordLink) {
            staffId = link.staffID.uuidString.lowercased()
            token = link.token.value
            path = "/welcome/" + link.token.value
            expiresInSeconds = Int(StaffAdminService.PasswordLink.lifetime.components.seconds)
        }
    }

    /// What a staff change did: `applied`, or `proposed` (waiting for a second admin).
    struct ChangeOutcomeJSON: Encodable {
        var outcome: String
    }

    /// A change's answer: `200` when applied, `202` when waiting for a second admin.
    static func changeOutcome(_ outcome: StaffAdminService.Outcome) throws -> Response {
        try APIJSON.response(
            ChangeOutcomeJSON(outcome: outcome.rawValue),
            status: outcome == .applied ? .ok : .accepted
        )
    }

    /// Roles by name, as the API and the admin pages read them (an unknown name is refused).
    static func staffRoles(_ names: [String]) throws -> Set<StaffActor.Role> {
        try Set(
            names.map { name in
                guard let role = StaffActor.Role(rawValue: name) else {
                    throw ServiceError(
                        .invalidInput,
                        field: "roles",
                        "'\(name)' is not a role; use "
                            + StaffActor.Role.allCases.map(\.rawValue).joined(separator: ", ")
                    )
                }
                return role
            }
        )
    }

    /// `GET /v1/staff`: the admins' view of the practice (no clinical record), audited as `staff.list`.
    func addStaff(to v1: RouterGroup<HavenRequestContext>) {
        v1.get("/staff") { _, context in
            let administration = try await PracticeService(pool: pool).administration(actor: try context.requireActor())
            return try APIJSON.response(AdministrationJSON(administration))
        }
        addStaffChanges(to: v1)
    }
}

extension HavenAPI {
    /// An admin's staff changes (`StaffAdminService`, migration 0040): narrowing ones apply at once
    /// (`204`, or `200` with `applied`), widening ones answer `202` with `proposed` and wait for a
    /// second admin (`/v1/staff/changes/{changeId}/approve`).
    func addStaffChanges(to v1: RouterGroup<HavenRequestContext>) {
        let service = StaffAdminService(pool: pool)
        v1.post("/staff") { request, context in
            let actor = try context.requireActor()
            let body = try await APIJSON.decode(NewStaffBody.self, from: request, context: context)
            let link = try await service.create(
                email: body.email,
                displayName: body.displayName,
                roles: try Self.staffRoles(body.roles),
                actor: actor
            )
            return try APIJSON.response(PasswordLinkJSON(link), status: .created)
        }
        v1.post("/staff/{staffId}/password-link") { _, context in
            let link = try await service.passwordLink(
                for: try Self.id("staffId", context),
                actor: try context.requireActor()
            )
            return try APIJSON.response(PasswordLinkJSON(link), status: .created)
        }
        v1.post("/staff/{staffId}/disable") { _, context in
            try await service.disable(try Self.id("staffId", context), actor: try context.requireActor())
            return Response(status: .noContent)
        }
        v1.post("/staff/{staffId}/enable") { _, context in
            try await service.enable(try Self.id("staffId", context), actor: try context.requireActor())
            return Response(status: .noContent)
        }
        v1.delete("/staff/{staffId}/sessions") { _, context in
            try await service.endSessions(of: try Self.id("staffId", context), actor: try context.requireActor())
            return Response(status: .noContent)
        }
        v1.put("/staff/{staffId}/roles") { request, context in
            let actor = try context.requireActor()
            let staffID = try Self.id("staffId", context)
            let body = try await APIJSON.decode(RolesBody.self, from: request, context: context)
            return try Self.changeOutcome(
                try await service.setRoles(try Self.staffRoles(body.roles), of: staffID, actor: actor)
            )
        }
        v1.post("/staff/{staffId}/supervisors") { request, context in
            let actor = try context.requireActor()
            let staffID = try Self.id("staffId", context)
            let body = try await APIJSON.decode(SupervisorBody.self, from: request, context: context)
            try await Self.naming(["supervisor": "supervisorId"]) {
                try await service.proposeSupervision(supervisor: body.supervisorId, supervisee: staffID, actor: actor)
            }
            return try Self.changeOutcome(.proposed)
        }
        v1.delete("/staff/{staffId}/supervisors/{supervisorId}") { _, context in
            let actor = try context.requireActor()
            try await service.removeSupervision(
                supervisor: try Self.id("supervisorId", context),
                supervisee: try Self.id("staffId", context),
                actor: actor
            )
            return Response(status: .noContent)
        }
        v1.put("/staff/totp-policy") { request, context in
            let actor = try context.requireActor()
            let body = try await APIJSON.decode(TOTPPolicyBody.self, from: request, context: context)
            return try Self.changeOutcome(try await service.setTOTPRequired(body.required, actor: actor))
        }
        v1.post("/staff/changes/{changeId}/approve") { _, context in
            try await service.approve(try Self.id("changeId", context), actor: try context.requireActor())
            return Response(status: .noContent)
        }
        v1.post("/staff/changes/{changeId}/decline") { _, context in
            try await service.decline(try Self.id("changeId", context), actor: try context.requireActor())
            return Response(status: .noContent)
        }
    }
}
