import Foundation
import Logging

extension NotificationSender {
    /// `haven serve`'s task: rounds of `run(limit: batch)` every `interval` until `stop` says so. A
    /// stop is seen between messages and within a quarter of a second while waiting, so a graceful
    /// shutdown lets the message in hand finish (its row ends sent, retrying or failed, not uncertain).
    /// A round that fails (the database away) is logged and the next one tries again. Logs counts and
    /// row ids only, never an address.
    public func runRounds(interval: Duration, batch: Int, stop: @escaping @Sendable () -> Bool) async {
        while !stop() {
            do {
                let summary = try await run(limit: batch, stop: stop)
                if summary != Summary() {
                    logger.info(
                        "notifications handled",
                        metadata: [
                            "notification.sent": "\(summary.sent)", "notification.retrying": "\(summary.retrying)",
                            "notification.failed": "\(summary.failed)",
                            "notification.uncertain": "\(summary.uncertain)",
                            "notification.skipped": "\(summary.skipped)",
                        ]
                    )
                }
            } catch {
                logger.error(
                    "a round of the notification sender failed; the next round tries again",
                    metadata: ["error": "\(error)"]
                )
            }
            let deadline = ContinuousClock.now + interval
            while !stop(), ContinuousClock.now < deadline {
                try? await Task.sleep(for: .milliseconds(250))
            }
        }
    }
}
