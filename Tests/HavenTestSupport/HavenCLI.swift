import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Runs the built `haven` binary as a user would: given arguments, environment and stdin; returns
/// its exit status and what it printed.
public struct HavenCLI: Sendable {
    public let binary: String
    public var environment: [String: String]

    /// What one run produced.
    public struct Result: Sendable, CustomStringConvertible {
        public var status: Int32
        public var stdout: String
        public var stderr: String

        /// The first line of stdout, trimmed (an id a command printed).
        public var firstLine: String {
            stdout.split(separator: "\n").first.map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
        }

        public var description: String {
            "exit \(status); stdout: \(stdout.prefix(400)); stderr: \(stderr.prefix(400))"
        }
    }

    public init(binary: String, environment: [String: String]) {
        self.binary = binary
        self.environment = environment
    }

    /// Runs `haven arguments...` with `stdin` (or an empty stdin) and waits for it.
    public func run(
        _ arguments: [String],
        stdin: String = "",
        extraEnvironment: [String: String] = [:]
    ) throws
        -> Result
    {
        let directory = NSTemporaryDirectory() + "haven-cli-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let input = directory + "/stdin"
        let output = directory + "/stdout"
        let errors = directory + "/stderr"
        try Data(stdin.utf8).write(to: URL(fileURLWithPath: input))
        let pid = try spawn(arguments, stdin: input, stdout: output, stderr: errors, extraEnvironment: extraEnvironment)
        let status = waitForProgram(pid)
        return Result(
            status: status,
            stdout: (try? String(contentsOfFile: output, encoding: .utf8)) ?? "",
            stderr: (try? String(contentsOfFile: errors, encoding: .utf8)) ?? ""
        )
    }

    /// Starts `haven arguments...` without waiting, its output in `logPath` (stderr in `.err` beside).
    ///
    /// - Returns: the child's pid.
    public func spawn(
        _ arguments: [String],
        logPath: String,
        extraEnvironment: [String: String] = [:]
    ) throws
        -> pid_t
    {
        try spawn(
            arguments,
            stdin: "/dev/null",
            stdout: logPath,
            stderr: logPath + ".err",
            extraEnvironment: extraEnvironment
        )
    }

    private func spawn(
        _ arguments: [String],
        stdin: String,
        stdout: String,
        stderr: String,
        extraEnvironment: [String: String]
    ) throws -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, stdin, O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, stdout, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_addopen(&actions, 2, stderr, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        let argv = ([binary] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        // A loaded machine's server can take longer than the default 10 s to accept a connection (see
        // TestDatabase.connectTimeout); connecting is not what these runs test.
        let merged = ["PGCONNECT_TIMEOUT": String(Int(TestDatabase.connectTimeout))]
            .merging(environment) { $1 }.merging(extraEnvironment) { $1 }
        let envp = merged.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { envp.forEach { free($0) } }
        var pid: pid_t = 0
        guard posix_spawn(&pid, binary, &actions, nil, argv, envp) == 0 else {
            throw TestSetupError("cannot start \(binary)")
        }
        return pid
    }
}
