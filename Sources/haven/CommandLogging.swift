import Foundation
import Logging

/// Logging for the CLI: to stderr, at `HAVEN_LOG_LEVEL` (default `warning`). Bootstrapped once.
enum CommandLogging {
    private static let bootstrap: Void = {
        let level = ProcessInfo.processInfo.environment["HAVEN_LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:))
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level ?? .warning
            return handler
        }
    }()

    /// The CLI's logger.
    static func logger() -> Logger {
        _ = bootstrap
        return Logger(label: "haven")
    }
}
