import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Prints a rendered report (its HTML, with the print stylesheet) to PDF with headless Chromium: what
/// a counselor hands a couple or a referrer. Chromium is optional; `init` finds it or returns nil,
/// and the caller says plainly that PDF needs it.
///
/// The HTML is written to a private directory (0700, file 0600) that Chromium reads through a
/// `file:` URL and that is removed, with Chromium's throwaway profile, before `print` returns; the
/// report never travels on a command line (which other users of the host can read). Every request
/// the page could make goes to a dead proxy (the report is self-contained: inline CSS and SVG, no
/// scripts), so printing reaches no network.
public struct PDFPrinter: Sendable {
    /// The Chromium executable.
    public let executable: String

    /// Where each print's private directory is made: `TMPDIR` of `environment`, else the process's
    /// temporary directory.
    public let workRoot: String

    /// The names tried on `PATH` when `HAVEN_CHROMIUM` is not set.
    public static let candidates = ["chromium", "chromium-browser", "google-chrome", "google-chrome-stable"]

    /// Chromium from `HAVEN_CHROMIUM` (a path), else the first of `candidates` on `PATH`; nil when
    /// there is none (or `HAVEN_CHROMIUM` is set to an empty string, which turns PDF off).
    public init?(environment: [String: String] = ProcessInfo.processInfo.environment) {
        workRoot = environment["TMPDIR"].flatMap { $0.isEmpty ? nil : $0 } ?? NSTemporaryDirectory()
        if let configured = environment["HAVEN_CHROMIUM"] {
            guard !configured.isEmpty, FileManager.default.isExecutableFile(atPath: configured) else { return nil }
            executable = configured
            return
        }
        let path = (environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":").map(String.init)
        for name in Self.candidates {
            for directory in path where FileManager.default.isExecutableFile(atPath: directory + "/" + name) {
                executable = directory + "/" + name
                return
            }
        }
        return nil
    }

    /// Why printing failed; the messages hold no report content.
    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    /// The PDF of `html`, printed on A4/Letter by the page's own `@page` rules, without the browser's
    /// header and footer.
    ///
    /// - Throws: `Failure` when Chromium does not finish within `timeout` (it is then killed), exits
    ///   with an error, or writes no PDF.
    public func print(html: String, timeout: Duration = .seconds(60)) async throws -> Data {
        var template = Array((workRoot + "/haven-pdf-XXXXXX").utf8CString)
        guard let made = mkdtemp(&template) else { throw Failure(description: "could not make a private directory") }
        let directory = String(cString: made)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let page = directory + "/report.html"
        let output = directory + "/report.pdf"
        guard
            FileManager.default.createFile(
                atPath: page,
                contents: Data(html.utf8),
                attributes: [.posixPermissions: 0o600]
            )
        else { throw Failure(description: "could not write the page to print") }

        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        var arguments = [
            "--headless", "--disable-gpu", "--no-first-run", "--no-default-browser-check", "--disable-extensions",
            "--disable-background-networking", "--disable-sync", "--disable-component-update",
            "--proxy-server=127.0.0.1:9", "--proxy-bypass-list=<-loopback>",
            "--user-data-dir=\(directory)/profile", "--no-pdf-header-footer", "--print-to-pdf=\(output)",
        ]
        // Chromium refuses to sandbox itself as root (a container); the page is our own report.
        if geteuid() == 0 { arguments.append("--no-sandbox") }
        process.arguments = arguments + [URL(fileURLWithPath: page).absoluteString]
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        let status = try await Self.run(process, timeout: timeout)
        guard status == 0 else { throw Failure(description: "Chromium exited with status \(status)") }
        guard let pdf = FileManager.default.contents(atPath: output), pdf.starts(with: Array("%PDF-".utf8)) else {
            throw Failure(description: "Chromium wrote no PDF")
        }
        return pdf
    }

    /// Runs `process` to its end, killing it after `timeout`; its exit status.
    private static func run(_ process: Process, timeout: Duration) async throws -> Int32 {
        let finished = AsyncStream<Int32>.makeStream()
        process.terminationHandler = { finished.continuation.yield($0.terminationStatus) }
        try process.run()
        let watchdog = Task {
            try await Task.sleep(for: timeout)
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        }
        defer { watchdog.cancel() }
        for await status in finished.stream {
            guard process.terminationReason == .exit else {
                throw Failure(description: "Chromium did not finish printing within \(timeout)")
            }
            return status
        }
        throw Failure(description: "Chromium's end went unreported")
    }
}
