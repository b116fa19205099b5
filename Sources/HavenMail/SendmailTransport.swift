import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Sends through the system's sendmail interface: runs a command (by default
/// `/usr/sbin/sendmail -t -i`; Debian's postfix, msmtp-mta and exim provide it) with the message on
/// its standard input, recipients read from the headers (`-t`), and maps its exit status
/// (sysexits.h) to a disposition.
///
/// The command is split on spaces and run without a shell. Its output is discarded, since sendmail
/// programs name the recipient in their messages; the exit status says enough:
/// - 0: accepted;
/// - 75 (EX_TEMPFAIL), 69 (EX_UNAVAILABLE), 68 (EX_NOHOST), 71 (EX_OSERR), 74 (EX_IOERR), a signal
///   or a timeout: retry later (msmtp reports a relay's 4xx refusal as 69, and a relay's DNS name
///   may be briefly unresolvable);
/// - any other status (65 EX_DATAERR for a refused recipient, 67, 76, 77, 78, ...): failed.
public struct SendmailTransport: MailTransport {
    /// The default command.
    public static let defaultCommand = "/usr/sbin/sendmail -t -i"

    /// The program's path and its arguments.
    public let executable: String
    public let arguments: [String]
    /// How long the command may run before it is stopped (SIGTERM, then SIGKILL).
    public let timeout: Duration

    /// - Throws: `MailError` (`.configuration`) for an empty command or a program that is not an
    ///   executable file (a bare name is looked up on PATH).
    public init(command: String = defaultCommand, timeout: Duration = .seconds(120)) throws(MailError) {
        let words = command.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
        guard let program = words.first else {
            throw MailError(.configuration, "the sendmail command is empty (e.g. sendmail:/usr/sbin/sendmail -t -i)")
        }
        guard let path = Self.resolve(program) else {
            throw MailError(
                .configuration,
                "the sendmail command \(program) is not an executable file (install postfix or msmtp-mta, or name another command)"
            )
        }
        self.executable = path
        self.arguments = Array(words.dropFirst())
        self.timeout = timeout
    }

    public var summary: String { "sendmail command \(([executable] + arguments).joined(separator: " "))" }

    public func send(_ message: MailMessage) async throws(MailError) {
        let transport = self
        let result: Result<Void, MailError> = await withCheckedContinuation { continuation in
            let thread = Thread {
                continuation.resume(returning: Result { () throws(MailError) in try transport.run(message) })
            }
            thread.name = "haven-sendmail"
            thread.start()
        }
        try result.get()
    }

    /// Runs the command once, blocking until it exits or its time is up.
    func run(_ message: MailMessage) throws(MailError) {
        SMTPConnection.ignoreBrokenPipes()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let input = Pipe()
        process.standardInput = input
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        do {
            try process.run()
        } catch {
            throw MailError(.configuration, "cannot run the sendmail command \(executable)")
        }
        var wroteAll = true
        do {
            try input.fileHandleForWriting.write(contentsOf: Data(message.rendered()))
        } catch {
            wroteAll = false  // The command exited early; its status says why.
        }
        try? input.fileHandleForWriting.close()
        let deadline = ContinuousClock.now + timeout
        while process.isRunning, ContinuousClock.now < deadline {
            usleep(5_000)
        }
        if process.isRunning {
            process.terminate()
            let grace = ContinuousClock.now + .seconds(5)
            while process.isRunning, ContinuousClock.now < grace { usleep(5_000) }
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            process.waitUntilExit()
            throw MailError(
                .network,
                "the sendmail command \(executable) did not finish within \(timeout) and was stopped: the message may have been sent",
                mayHaveBeenSent: true
            )
        }
        process.waitUntilExit()
        let status = process.terminationStatus
        if process.terminationReason == .uncaughtSignal {
            throw MailError(
                .network,
                "the sendmail command \(executable) was ended by signal \(status): the message may have been sent",
                mayHaveBeenSent: true
            )
        }
        if status == 0 {
            guard wroteAll else {
                throw MailError(.network, "the sendmail command \(executable) exited before reading the whole message")
            }
            return
        }
        let name = Self.exitNames[status].map { " (\($0))" } ?? ""
        let detail = "the sendmail command \(executable) exited with status \(status)\(name)"
        throw MailError(Self.temporaryStatuses.contains(status) ? .temporary : .permanent, detail)
    }

    /// Exit statuses (sysexits.h) after which the message may go through later.
    static let temporaryStatuses: Set<Int32> = [68, 69, 71, 74, 75]

    private static let exitNames: [Int32: String] = [
        64: "EX_USAGE: the command's arguments are wrong", 65: "EX_DATAERR: the relay refused the recipient or message",
        66: "EX_NOINPUT", 67: "EX_NOUSER: unknown recipient", 68: "EX_NOHOST: the relay's name does not resolve",
        69: "EX_UNAVAILABLE: the relay refused for now or is unavailable", 70: "EX_SOFTWARE", 71: "EX_OSERR",
        73: "EX_CANTCREAT", 74: "EX_IOERR", 75: "EX_TEMPFAIL: try again later", 76: "EX_PROTOCOL",
        77: "EX_NOPERM", 78: "EX_CONFIG: the command's configuration is wrong",
    ]

    /// An absolute path as is; a bare name looked up on PATH. Nil unless it names an executable file.
    static func resolve(_ program: String) -> String? {
        if program.contains("/") {
            return FileManager.default.isExecutableFile(atPath: program) ? program : nil
        }
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/sbin:/usr/bin:/sbin:/bin"
        for directory in path.split(separator: ":") {
            let candidate = "\(directory)/\(program)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }
}
