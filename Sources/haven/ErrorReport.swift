import ArgumentParser
import Foundation
import HavenStore
import Postgres

/// Turns any error into what the user sees: one line (or ArgumentParser's usage text) and an exit
/// status. Never a stack trace, a SQL message or a value from the database.
struct ErrorReport {
    let error: any Error

    init(_ error: any Error) {
        self.error = error
    }

    /// Prints the report and returns the exit status.
    func emit() -> Int32 {
        switch error {
        case let error as UserError:
            printError("haven: \(error.message)")
            return 1
        case let error as MigrationError:
            printError("haven: \(error)")
            return 2
        case let error as PostgresError:
            printError("haven: \(error)")
            return error.code == .connectionFailed || error.code == .connectionLost ? 2 : 2
        default:
            let code = Haven.exitCode(for: error)
            let message = Haven.fullMessage(for: error)
            if code == .success {
                if !message.isEmpty { print(message) }
                return 0
            }
            if error is ExitCode || error is CleanExit {
                if !message.isEmpty { printError(message) }
                return code.rawValue
            }
            // Parse and validation errors: usage problems are the user's.
            printError(message)
            return 1
        }
    }

    private func printError(_ text: String) {
        FileHandle.standardError.write(Data((text + "\n").utf8))
    }
}

/// A problem with what the user asked for; the message says what was wrong and what to do.
struct UserError: Error {
    let message: String
}
