import HavenService
import Sealing
import Testing

extension TOTPService.Enrollment {
    /// The authenticator app a person would set up from this enrollment's secret: it makes the codes.
    func authenticatorApp() throws -> TOTP {
        TOTP(secret: SecureBytes(copying: try #require(Base32.decode(secret))))
    }
}
