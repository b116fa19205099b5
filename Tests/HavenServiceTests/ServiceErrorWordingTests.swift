import HavenService
import Testing

@Suite("Service errors say what happened, in no interface's words")
struct ServiceErrorWordingTests {
    /// The HTTP API and the CLI each add their own next step (a route, a command); a service error
    /// that named one would send CLI advice to HTTP clients and routes to the terminal.
    @Test(arguments: [ServiceError.sessionExpired, .totpEnrollmentDue])
    func theSharedRefusalsNameNoCommandAndNoRoute(error: ServiceError) {
        for interfaceWord in ["haven ", "'haven", "/v1/", "POST ", "GET ", "--"] {
            #expect(!error.message.contains(interfaceWord), "\(error.message)")
        }
    }
}
