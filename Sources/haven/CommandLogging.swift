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

    /// A logger that logs at least from `minimum` (a server logs each request at info) unless
    /// HAVEN_LOG_LEVEL asks for more or less.
    static func logger(minimum: Logger.Level) -> Logger {
        var logger = logger()
        if ProcessInfo.processInfo.environment["HAVEN_LOG_LEVEL"] == nil { logger.logLevel = minimum }
        return logger
    }
}
