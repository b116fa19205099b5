import Foundation
import HavenService
import Logging
import Postgres
import Synchronization

/// The reminder sender running beside `haven serve`'s HTTP server: started at once, stopped after the
/// server has drained (`stop()` lets the message in hand finish, then closes the sender's pool).
final class ReminderSenderTask: Sendable {
    /// Set once by `stop()`; read by the sender between messages and while it waits.
    private final class StopFlag: Sendable {
        private let state = Mutex(false)
        var isSet: Bool { state.withLock { $0 } }
        func set() { state.withLock { $0 = true } }
    }

    private let flag: StopFlag
    private let task: Task<Void, Never>
    private let pool: ConnectionPool

    init(sender: NotificationSender, interval: Duration, batch: Int, logger: Logger) {
        let flag = StopFlag()
        self.flag = flag
        pool = sender.pool
        logger.info(
            "reminders are sent by this server",
            metadata: ["notify.interval": "\(interval)", "notify.batch": "\(batch)"]
        )
        task = Task { await sender.runRounds(interval: interval, batch: batch) { flag.isSet } }
    }

    /// Asks the sender to stop, waits for the message in hand and closes its pool.
    func stop() async {
        flag.set()
        await task.value
        await pool.close()
    }
}
