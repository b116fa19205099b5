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
        }

        var practiceId: String
        var practiceName: String
        var timeZone: String
        var requireTotp: Bool
        var staff: [Member]

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
                    supervisees: member.supervisees.map(colleague)
                )
            }
        }
    }

    /// `GET /v1/staff`: the admins' view of the practice (no clinical record), audited as `staff.list`.
    func addStaff(to v1: RouterGroup<HavenRequestContext>) {
        v1.get("/staff") { _, context in
            let administration = try await PracticeService(pool: pool).administration(actor: try context.requireActor())
            return try APIJSON.response(AdministrationJSON(administration))
        }
    }
}
