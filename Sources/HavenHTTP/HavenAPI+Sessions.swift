import Foundation
import HavenService
import Hummingbird
import Sealing

extension HavenAPI {
    struct SignInRequest: Decodable {
        var email: String
        var password: String
    }

    struct SignInResponse: Encodable {
        var token: String
        var tokenType = "Bearer"
        var expiresAt: Date
        var staffId: String
        var roles: [String]
    }

    struct MeResponse: Encodable {
        var staffId: String
        var practiceId: String
        var roles: [String]
        var name: String
        var email: String
        var practice: String
        var timeZone: String
    }

    func signIn(_ request: Request, _ context: HavenRequestContext) async throws -> Response {
        let body = try await APIJSON.decode(SignInRequest.self, from: request, context: context)
        guard body.email.count <= 320, body.password.count <= 1024 else {
            throw ServiceError(.unauthenticated, "wrong email or password, or the account is disabled")
        }
        let signIn = try await auth.login(
            email: body.email,
            password: body.password,
            source: context.source,
            requestID: context.requestID
        )
        return try APIJSON.response(
            SignInResponse(
                token: signIn.token.value,
                expiresAt: signIn.absoluteExpiry,
                staffId: signIn.actor.staffID.uuidString.lowercased(),
                roles: signIn.actor.roleNames
            ),
            status: .created
        )
    }

    func signOut(_ request: Request, _ context: HavenRequestContext) async throws -> Response {
        let token = String((request.headers[.authorization] ?? "").dropFirst(7)).trimmingCharacters(in: .whitespaces)
        try await auth.logout(SessionToken(value: token), actor: try context.requireActor())
        return Response(status: .noContent)
    }

    func me(_ context: HavenRequestContext) async throws -> Response {
        let actor = try context.requireActor()
        let practices = PracticeService(pool: pool)
        let practice = try await practices.practice(actor: actor)
        let me = try await practices.staff(actor: actor).first { $0.id == actor.staffID }
        return try APIJSON.response(
            MeResponse(
                staffId: actor.staffID.uuidString.lowercased(),
                practiceId: actor.practiceID.uuidString.lowercased(),
                roles: actor.roleNames,
                name: me?.displayName ?? "",
                email: me?.email ?? "",
                practice: practice.name,
                timeZone: practice.timeZone
            )
        )
    }
}
