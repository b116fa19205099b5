import CLibPQ
import Foundation
import Logging

/// Owns one `PGconn` and finishes it exactly once.
///
/// `@unchecked Sendable`: the pointer is only used by the `PostgresConnection` actor that owns this
/// handle, i.e. on that connection's thread, or in `deinit`, when no one else can hold it. The cancel
/// object is the exception libpq allows: `PQcancel` may be called from any thread, and it is guarded
/// by `cancelLock`.
final class ConnectionHandle: @unchecked Sendable {
    let pointer: OpaquePointer
    private let noticeSink: NoticeSink
    private let cancelLock = NSLock()
    private var cancelObject: OpaquePointer?
    private var statementRunning = false

    init(pointer: OpaquePointer, logger: Logger) {
        self.pointer = pointer
        self.noticeSink = NoticeSink(logger: logger)
        PQsetNoticeReceiver(pointer, noticeReceiver, Unmanaged.passUnretained(noticeSink).toOpaque())
    }

    deinit {
        if let cancelObject { PQfreeCancel(cancelObject) }
        PQfinish(pointer)
    }

    /// Refreshes the cancel object after (re)connecting.
    func refreshCancelObject() {
        cancelLock.withLock {
            if let cancelObject { PQfreeCancel(cancelObject) }
            cancelObject = PQgetCancel(pointer)
        }
    }

    /// Marks whether a statement is running, so a cancel request only targets a running statement.
    func setStatementRunning(_ running: Bool) {
        cancelLock.withLock { statementRunning = running }
    }

    /// Asks the server to cancel the running statement; a no-op between statements.
    func cancel() {
        cancelLock.withLock {
            guard statementRunning, let cancelObject else { return }
            var buffer = [CChar](repeating: 0, count: 256)
            _ = PQcancel(cancelObject, &buffer, Int32(buffer.count))
        }
    }
}

/// Routes libpq notices to the logger at debug level (their text may quote data), instead of stderr.
final class NoticeSink: Sendable {
    let logger: Logger

    init(logger: Logger) {
        self.logger = logger
    }
}

private func noticeReceiver(_ context: UnsafeMutableRawPointer?, _ result: OpaquePointer?) {
    guard let context, let result else { return }
    let sink = Unmanaged<NoticeSink>.fromOpaque(context).takeUnretainedValue()
    let message = String(cString: PQresultErrorMessage(result)).trimmingWhitespace()
    let severity = PQresultErrorField(result, Int32(Character("V").asciiValue!)).map { String(cString: $0) }
    sink.logger.debug(
        "postgres notice",
        metadata: ["db.notice": "\(message)", "db.severity": "\(severity ?? "NOTICE")"]
    )
}
