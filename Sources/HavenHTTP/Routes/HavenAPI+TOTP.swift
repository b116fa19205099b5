import Foundation
import HavenService
import Hummingbird

extension HavenAPI {
    struct TOTPEnrollmentResponse: Encodable {
        var secret: String
        var uri: String
    }

    /// A one-time code, to confirm or remove an authenticator app.
    public struct TOTPCodeRequest: Codable, Sendable {
        public var code: String

        public init(
            code: String
        ) {
            self.code = code
        }
    }

    /// The signed-in staff member's one-time-code app: status, enrol, confirm, remove. These work in
    /// a session that still owes the practice a second factor. Wrong codes count toward the same
    /// pause as failed sign-ins.
    func addTOTP(to group: RouterGroup<HavenRequestContext>) {
        let totp = TOTPService(pool: pool, keys: keys)
        group.get("/me/totp") { _, context in
            try APIJSON.response(try await totp.status(actor: try context.requireActor()))
        }
        group.post("/me/totp") { _, context in
            let enrollment = try await totp.begin(actor: try context.requireActor())
            return try APIJSON.response(
                TOTPEnrollmentResponse(secret: enrollment.secret, uri: enrollment.uri),
                status: .created,
                headers: [.cacheControl: "no-store"]
            )
        }
        group.post("/me/totp/confirmation") { request, context in
            try await self.withCode(request, context) { code, actor in
                try await totp.confirm(code: code, actor: actor)
                return try APIJSON.response(try await totp.status(actor: actor))
            }
        }
        group.post("/me/totp/removal") { request, context in
            try await self.withCode(request, context) { code, actor in
                try await totp.remove(code: code, actor: actor)
                return try APIJSON.response(try await totp.status(actor: actor))
            }
        }
    }

    /// Decodes `{"code": …}` and runs `body`, pausing the staff member after too many wrong codes.
    private func withCode(
        _ request: Request,
        _ context: HavenRequestContext,
        _ body: (String, StaffActor) async throws -> Response
    ) async throws -> Response {
        let actor = try context.requireActor()
        let code = try await APIJSON.decode(TOTPCodeRequest.self, from: request, context: context).code
        guard code.count <= 20 else {
            throw ServiceError(.invalidInput, field: "code", "must be the app's 6-digit code")
        }
        let account = "staff:" + actor.staffID.uuidString
        let address = context.remoteAddress?.ipAddress ?? "unknown"
        if let paused = pausedResponse(account: account, address: address, context: context) { return paused }
        do {
            let response = try await body(code, actor)
            throttle.succeeded(email: account)
            return response
        } catch let error as ServiceError where error.field == "code" {
            throttle.failed(email: account, address: address)
            throw error
        }
    }
}
