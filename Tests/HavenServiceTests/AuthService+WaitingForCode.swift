import HavenService
import HavenServiceFixtures
import Sealing
import Testing

extension AuthService {
    /// The browser's password step for `email` (the fixture's password) on an account with a code app:
    /// the token of the session it leaves waiting for the code, or nil (with an issue recorded) when
    /// the sign-in asked for no code.
    func waitingForCode(_ email: String) async throws -> SessionToken? {
        guard
            case .codeNeeded(let token) = try await beginSignIn(
                email: email,
                password: StaffFixture.password,
                source: "t"
            )
        else {
            Issue.record("the sign-in needed no code")
            return nil
        }
        return token
    }
}
