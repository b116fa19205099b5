import Hummingbird
import HummingbirdCore
import NIOCore

extension HavenAPI {
    /// How long a connection may go without a complete request head, or sit idle between requests,
    /// before the server closes it, so slow or half-open clients cannot hold connections.
    public static let connectionIdleTimeout: TimeAmount = .seconds(15)

    /// Haven's HTTP/1.1 server: Hummingbird's, with `idleTimeout` on every connection. The timer runs
    /// from the connection's start and from the end of each response, and is reset by each part of a
    /// request read; a request being answered is never cut off.
    public static func server(idleTimeout: TimeAmount = connectionIdleTimeout) -> HTTPServerBuilder {
        .http1(configuration: .init(idleTimeout: idleTimeout))
    }
}
