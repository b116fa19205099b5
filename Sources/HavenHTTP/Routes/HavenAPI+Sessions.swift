import Foundation
import HavenService
import Hummingbird
import Sealing

extension HavenAPI {
    /// `POST /v1/auth/sessions`: email, password and, for accounts with an app, its code.
    public struct SignInRequest: Codable, Sendable {
        public var email: String
        public var password: String
        /// The authenticator app's current code, for accounts that enrolled one.
        public var totpCode: String?

        public init(
            email: String,
            password: String,
            totpCode: String? = nil
        ) {
            self.email = email
            self.password = password
            self.totpCode = totpCode
        }
    }

    /// `POST /v1/auth/sessions`'s answer (the CLI decodes the same type).
    public struct SignInResponse: Codable, Sendable {
        public var token: String
        public var tokenType = "Bearer"
        public var expiresAt: Date
        /// Ids are lowercase UUID text, as everywhere in the API.
        public var staffId: String
        public var practiceId: String
        public var roles: [String]
        /// The practice requires a second factor this account lacks: enrol one (`/v1/me/totp`) first.
        public var totpEnrollmentRequired: Bool
    }

    /// `GET /v1/me`'s answer (the CLI decodes the same type).
    public struct MeResponse: Codable, Sendable {
        public var staffId: String
        public var practiceId: String
        public var roles: [String]
        public var name: String
        public var email: String
        public var practice: String
        public var timeZone: String
    }

    func signIn(_ request: Request, _ context: HavenRequestContext) async throws -> Response {
        let body = try await APIJSON.decode(SignInRequest.self, from: request, context: context)
        // Text PostgreSQL cannot hold (NUL) can match no account.
        guard body.email.count <= 320, body.password.count <= 1024, !body.email.contains("\u{0}"),
            (body.totpCode ?? "").count <= 20
        else {
            throw ServiceError(.unauthenticated, "wrong email or password, or the account is disabled")
        }
        let address = context.remoteAddress?.ipAddress ?? "unknown"
        if let paused = pausedResponse(account: body.email, address: address, context: context) { return paused }
        let signIn: AuthService.SignIn
        do {
            signIn = try await auth.login(
                email: body.email,
                password: body.password,
                totpCode: body.totpCode,
                source: context.source,
                requestID: context.requestID
            )
        } catch let error as ServiceError where error.kind == .unauthenticated && error.reason != "totp-required" {
            throttle.failed(email: body.email, address: address)
            throw error
        }
        throttle.succeeded(email: body.email)
        return try APIJSON.response(
            SignInResponse(
                token: signIn.token.value,
                expiresAt: signIn.absoluteExpiry,
                staffId: signIn.actor.staffID.uuidString.lowercased(),
                practiceId: signIn.actor.practiceID.uuidString.lowercased(),
                roles: signIn.actor.roleNames,
                totpEnrollmentRequired: signIn.actor.totpEnrollmentDue
            ),
            status: .created
        )
    }

    /// A 429 problem with `Retry-After` when the account or address has failed too often, else nil.
    func pausedResponse(account: String, address: String, context: HavenRequestContext) -> Response? {
        guard let wait = throttle.wait(email: account, address: address) else { return nil }
        var problem = APIProblem.from(
            APIError(
                status: .tooManyRequests,
                kind: "too-many-attempts",
                detail: "too many failed attempts; try again later",
                field: nil
            ),
            requestID: context.requestID
        ).response
        problem.headers[.retryAfter] = "\(max(1, wait.components.seconds))"
        return problem
    }

    func signOut(_ request: Request, _ context: HavenRequestContext) async throws -> Response {
        try await auth.logout(actor: try context.requireActor())
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
