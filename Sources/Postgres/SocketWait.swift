import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Waits until libpq's socket is readable and/or writable, or the deadline passes.
///
/// - Returns: what the socket became ready for.
/// - Throws: `PostgresError` with `timeoutCode` when the deadline passes first.
func waitForSocket(
    _ socket: Int32,
    read: Bool,
    write: Bool,
    deadline: ContinuousClock.Instant?,
    timeoutCode: PostgresError.Code
) throws -> (readable: Bool, writable: Bool) {
    var events: Int16 = 0
    if read { events |= Int16(POLLIN) }
    if write { events |= Int16(POLLOUT) }
    while true {
        var timeout: Int32 = -1
        if let deadline {
            let remaining = deadline - .now
            if remaining <= .zero {
                throw PostgresError(timeoutCode, message: "timeout expired")
            }
            let (seconds, attoseconds) = remaining.components
            timeout = Int32(clamping: seconds * 1_000 + attoseconds / 1_000_000_000_000_000 + 1)
        }
        var descriptor = pollfd(fd: socket, events: events, revents: 0)
        let ready = poll(&descriptor, 1, timeout)
        if ready < 0 {
            if errno == EINTR { continue }
            throw PostgresError(timeoutCode, message: "poll failed: errno \(errno)")
        }
        if ready == 0 { continue }
        let revents = Int32(descriptor.revents)
        let failed = revents & (POLLERR | POLLHUP | POLLNVAL) != 0
        return (revents & POLLIN != 0 || failed, revents & POLLOUT != 0 || failed)
    }
}

/// Whether the socket has bytes to read right now (no waiting).
func socketHasInput(_ socket: Int32) -> Bool {
    var descriptor = pollfd(fd: socket, events: Int16(POLLIN), revents: 0)
    return poll(&descriptor, 1, 0) > 0
}
