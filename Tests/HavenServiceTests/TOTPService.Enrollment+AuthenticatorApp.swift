import HavenService
import Sealing
import Testing

extension TOTPService.Enrollment {
    /// The authenticator app a person would set up from this enrollment's secret: it makes the codes.
    func authenticatorApp() throws -> TOTP {
        TOTP(secret: SecureBytes(copying: try #require(Base32.decode(secret))))
    }
}

extension TOTPService {
    /// Enrols and confirms an app for `actor` with the previous step's code (the current one stays
    /// unused) and returns it: from now on the member's sign-ins ask for its codes.
    func enrolledApp(for actor: StaffActor) async throws -> TOTP {
        let app = try await begin(actor: actor).authenticatorApp()
        try await confirm(code: app.code(step: try await app.previousStep()), actor: actor)
        return app
    }
}
