import Foundation
import HavenTestSupport
import Postgres
import Sealing

#if canImport(Glibc)
import Glibc
#endif

/// A private directory with a master key file, for running operator commands (`haven keys`,
/// `haven audit`) against a test database with the owner role.
struct OperatorRun: Sendable {
    let directory: String
    let keyFile: String
    let cli: HavenCLI

    init(ring: MasterKeyring, configuration: PostgresConfiguration) throws {
        directory = NSTemporaryDirectory() + "haven-keys-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        keyFile = directory + "/master.key"
        let descriptor = open(keyFile, O_WRONLY | O_CREAT | O_EXCL, 0o600)
        _ = ring.fileText().withCString { write(descriptor, $0, strlen($0)) }
        close(descriptor)
        cli = HavenCLI(
            binary: try TestDatabase.havenBinary(),
            environment: [
                "HAVEN_OWNER_DATABASE_URL": try TestDatabase.url(for: configuration),
                "HAVEN_MASTER_KEY_FILE": keyFile,
                "HOME": directory,
                "PATH": "/usr/bin:/bin",
            ]
        )
    }

    /// The options every `keys` command takes, pointing at the test database and key file.
    private var options: [String] {
        ["--database-url", cli.environment["HAVEN_OWNER_DATABASE_URL"] ?? "", "--key-file", keyFile]
    }

    /// Starts `haven arguments...` in the background, its output in `output` (and `output.err`).
    func spawn(_ arguments: [String], output: String) -> pid_t {
        spawnProgram(cli.binary, arguments: arguments + options, outputPath: directory + "/" + output)
    }

    /// Runs `haven arguments...` to the end.
    func run(_ arguments: [String]) throws -> HavenCLI.Result {
        try cli.run(arguments)
    }

    /// What a spawned run printed, stdout then stderr.
    func output(_ name: String) throws -> String {
        let path = directory + "/" + name
        return try String(contentsOfFile: path, encoding: .utf8)
            + ((try? String(contentsOfFile: path + ".err", encoding: .utf8)) ?? "")
    }

    /// What a spawned run printed, for a failure message.
    func log(_ name: String) -> String {
        (try? output(name)) ?? "(no output)"
    }

    /// Lets the child run a few milliseconds at a time and kills it with SIGKILL once `condition`
    /// holds. The child is stopped (SIGSTOP) while `condition` is checked, so a check that a loaded
    /// machine slows down does not let the child run past the point it watches for.
    /// Returns `false` if the child exited on its own first.
    func stop(_ pid: pid_t, when condition: () async throws -> Bool) async throws -> Bool {
        while true {
            var status: Int32 = 0
            if waitpid(pid, &status, WNOHANG) == pid { return false }
            kill(pid, SIGSTOP)
            let holds: Bool
            do {
                holds = try await condition()
            } catch {
                kill(pid, SIGKILL)
                _ = waitForProgram(pid)
                throw error
            }
            if holds {
                kill(pid, SIGKILL)
                return waitForProgram(pid) == 128 + SIGKILL
            }
            kill(pid, SIGCONT)
            try await Task.sleep(for: .milliseconds(5))
        }
    }

    func remove() {
        try? FileManager.default.removeItem(atPath: directory)
    }
}
