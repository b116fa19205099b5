import ArgumentParser
import Foundation
import HavenCore
import HavenService
import HavenStore
import Postgres
import Sealing

/// Turns any error into what the user sees: one line (or ArgumentParser's usage text) and an exit
/// status. Never a stack trace, a SQL message or a value from the database.
struct ErrorReport {
    let error: any Error

    init(_ error: any Error) {
        self.error = error
    }

    /// Prints the report and returns the exit status.
    func emit() -> Int32 {
        if let (message, status) = Self.classify(error) {
            printError("haven: \(message)")
            return status
        }
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
        // Parse and validation errors: usage problems are the user's, said in Haven's one style.
        printError(
            ParseErrorWording.line(for: message, arguments: Array(CommandLine.arguments.dropFirst()))
                .map { "haven: \($0)" } ?? message
        )
        return 1
    }

    /// The one-line message and exit status of Haven's own errors (nil for ArgumentParser's).
    static func classify(_ error: any Error) -> (message: String, status: Int32)? {
        switch error {
        case let error as KeptTextError:
            guard let (message, status) = classify(error.underlying) else { return nil }
            return ("\(message); your text is kept in \(error.path) (retry with --file \(error.path))", status)
        case let error as UserError:
            return (error.message, error.status)
        case let error as APIFailure:
            return (error.description, error.exitStatus)
        case let error as ServiceError where error == .sessionExpired:
            return (sessionEnded, 1)
        case let error as ServiceError where error == .totpEnrollmentDue:
            return (totpEnrollmentDue, 1)
        case let error as ServiceError where error.kind == .integrity:
            // Stored data failed its check: the system's problem, not the user's input.
            return ("\(error.description) (\(advice(reason: "integrity") ?? ""))", 2)
        case let error as ServiceError:
            // Refusals and bad input: the user's to fix; the description names the field, never a value.
            let advice = error.reason.flatMap(advice(reason:))
            return (advice.map { "\(error.description) (\($0))" } ?? error.description, 1)
        case let error as DomainError:
            return ("\(error.field): \(error.message)", 1)
        case let error as SealingError:
            return (error.description, 2)
        case let error as MigrationError:
            return (error.description, 2)
        case let error as PostgresError:
            return (error.description, 2)
        default:
            return nil
        }
    }

    // The services and the API say what happened; these are the CLI's next steps for the refusals
    // whose remedy is a command (the API names its routes for the same refusals).

    /// A stored session the server no longer accepts (expired, ended, or the account disabled).
    static let sessionEnded = "the session has expired or was ended; sign in again with 'haven login'"

    /// The practice requires a second factor the user has not enrolled.
    static let totpEnrollmentDue =
        "your practice requires a one-time-code app, and none is enrolled for you yet: enrol one first with "
        + "'haven totp enroll'"

    /// The operator's command that explains a refusal, by the problem's reason or kind.
    static func advice(reason: String) -> String? {
        switch reason {
        case "totp-unavailable": "an operator checks with 'haven keys status'"
        case "integrity": "an operator checks with 'haven keys verify'"
        case "signed-note-exists": "add an addendum with 'haven note addend NOTE'"
        default: nil
        }
    }

    private func printError(_ text: String) {
        FileHandle.standardError.write(Data((text.terminalSafe + "\n").utf8))
    }
}

/// A failed write whose text was kept in a private file.
struct KeptTextError: Error {
    let underlying: any Error
    let path: String
}

/// A problem with what the user asked for; the message says what was wrong and what to do.
struct UserError: Error {
    let message: String
    /// 1 for what the user can fix; 2 for a problem of the system (a server out of reach).
    var status: Int32 = 1
}
