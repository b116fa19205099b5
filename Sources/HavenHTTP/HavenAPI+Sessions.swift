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
        // Text PostgreSQL cannot hold (NUL) can match no account.
        guard body.email.count <= 320, body.password.count <= 1024, !body.email.contains("\u{0}") else {
            throw ServiceError(.unauthenticated, "wrong email or password, or the account is disabled")
        }
        let address = context.remoteAddress?.ipAddress ?? "unknown"
        if let wait = throttle.wait(email: body.email, address: address) {
            var problem = APIProblem.from(
                APIError(
                    status: .tooManyRequests,
                    kind: "too-many-attempts",
                    detail: "too many failed sign-ins; try again later",
                    field: nil
                ),
                requestID: context.requestID
            ).response
            problem.headers[.retryAfter] = "\(max(1, wait.components.seconds))"
            return problem
        }
        let signIn: AuthService.SignIn
        do {
            signIn = try await auth.login(
                email: body.email,
                password: body.password,
                source: context.source,
                requestID: context.requestID
            )
        } catch let error as ServiceError where error.kind == .unauthenticated {
            throttle.failed(email: body.email, address: address)
            throw error
        }
        throttle.succeeded(email: body.email)
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
