import Foundation
import HavenService
import Hummingbird
import NIOCore
import Synchronization

/// What inner middleware learns that the outer request log needs (contexts are values, so the auth
/// middleware's copy is not the logging middleware's).
final class RequestNotes: Sendable {
    let actorID = Mutex<UUID?>(nil)
}

/// What Haven's routes know about a request beyond the request itself: its id (also in every log
/// line and response), the peer's address (for the audit log), and the staff member its bearer
/// token authenticated, once the auth middleware has run.
public struct HavenRequestContext: RequestContext, RemoteAddressRequestContext {
    public var coreContext: CoreRequestContextStorage
    public var requestID = ""
    public var actor: StaffActor?
    /// What the web app's page chrome shows about the session (set by `WebMiddleware`).
    var webSession = WebSessionFacts()
    /// The partner signed in to the portal (set by `PortalMiddleware` on `/portal` pages only).
    var partner: SignedInPartner?
    public let remoteAddress: SocketAddress?
    let notes = RequestNotes()

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress
    }

    /// Request bodies above 1 MiB are refused with 413 before they are decoded.
    public var maxUploadSize: Int { 1 << 20 }

    /// The request's source for the audit log: the peer's IP address.
    var source: String { remoteAddress?.ipAddress.map { "http:\($0)" } ?? "http:unknown" }

    /// The authenticated staff member (routes behind the auth middleware only).
    func requireActor() throws -> StaffActor {
        guard let actor else {
            throw ServiceError(.unauthenticated, "sign in: POST /v1/auth/sessions, then send the bearer token")
        }
        return actor
    }
}
