import Foundation
import HavenService
import HavenServiceFixtures
import HavenTestSupport
import Postgres
import Sealing

/// A practice with counselor Dana (StaffFixture), a master key file, a live `haven serve` on them,
/// and the built `haven` binary in two shells, as in production:
/// - the counselor's (`cli`): the server's address (`HAVEN_URL`) and a private config directory,
///   and no database URL or master key at all, so every clinical command must go through the server;
/// - the server host's (`operatorCLI`): the owner role's URL and the master key file, for the
///   operator commands (`db`, `keys`, `practice`, `staff`, `audit`, `demo`, `measure define`, `serve`).
/// `run`, `ok` and `json` pick the shell a command belongs in.
struct CLIFixture {
    let fixture: StaffFixture
    let cli: HavenCLI
    let operatorCLI: HavenCLI
    let directory: String
    let keys: KeyManager
    let server: HavenServer

    var configDirectory: String { directory + "/config" }

    static func with(_ body: (CLIFixture) async throws -> Void) async throws {
        try await StaffFixture.with { fixture in
            let directory = NSTemporaryDirectory() + "haven-cli-\(UUID().uuidString)"
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(atPath: directory) }
            let ring = try MasterKeyring.generate()
            let keyFile = directory + "/master.key"
            let descriptor = open(keyFile, O_WRONLY | O_CREAT | O_EXCL, 0o600)
            _ = ring.fileText().withCString { write(descriptor, $0, strlen($0)) }
            close(descriptor)
            // The owner records the key's version; the application role may only check it.
            let keys = KeyManager(ring: ring, logger: TestDatabase.logger)
            try await fixture.owner.withConnection { try await keys.checkMasterKeys(on: $0) }
            let binary = try TestDatabase.havenBinary()
            let shell = ["HOME": directory, "PATH": "/usr/bin:/bin", "USER": "tester"]
            // The server host: haven_app for `serve` (and `demo seed`), the owner role for operators.
            let operatorCLI = HavenCLI(
                binary: binary,
                environment: shell.merging([
                    "HAVEN_DATABASE_URL": try await TestDatabase.appURL(for: fixture.owner.configuration),
                    "HAVEN_DATABASE_POOLER": TestDatabase.appPooler.rawValue,
                    "HAVEN_OWNER_DATABASE_URL": try TestDatabase.url(for: fixture.owner.configuration),
                    "HAVEN_MASTER_KEY_FILE": keyFile,
                ]) { $1 }
            )
            let server = try await HavenServer.start(operatorCLI, directory: directory)
            defer { server.stop() }
            let cli = HavenCLI(
                binary: binary,
                environment: shell.merging([
                    "HAVEN_URL": server.url,
                    "HAVEN_CONFIG_DIR": directory + "/config",
                ]) { $1 }
            )
            try await body(
                CLIFixture(
                    fixture: fixture,
                    cli: cli,
                    operatorCLI: operatorCLI,
                    directory: directory,
                    keys: keys,
                    server: server
                )
            )
        }
    }

    /// Whether `arguments` is an operator command (server host, owner role) rather than a clinical one.
    static func isOperatorCommand(_ arguments: [String]) -> Bool {
        guard let noun = arguments.first else { return false }
        return ["db", "keys", "practice", "staff", "audit", "demo", "serve"].contains(noun)
            || Array(arguments.prefix(2)) == ["measure", "define"]
    }

    /// Runs `haven arguments...` in the shell it belongs in (the counselor's or the server host's).
    func run(
        _ arguments: [String],
        stdin: String = "",
        extraEnvironment: [String: String] = [:]
    ) throws -> HavenCLI.Result {
        let shell = Self.isOperatorCommand(arguments) ? operatorCLI : cli
        return try shell.run(arguments, stdin: stdin, extraEnvironment: extraEnvironment)
    }

    /// Signs Dana in.
    func login() throws {
        let result = try run(
            ["login", "--email", "dana@harbor.example", "--password-stdin"],
            stdin: StaffFixture.password
        )
        guard result.status == 0 else { throw TestSetupError("login failed: \(result)") }
    }

    /// Runs a command that must succeed and returns its first output line.
    @discardableResult
    func ok(_ arguments: [String], stdin: String = "", environment: [String: String] = [:]) throws -> String {
        let result = try run(arguments, stdin: stdin, extraEnvironment: environment)
        guard result.status == 0 else { throw TestSetupError("haven \(arguments.joined(separator: " ")): \(result)") }
        return result.firstLine
    }

    /// Runs a read command with --json and decodes its output.
    func json<Value: Decodable>(_ arguments: [String], as type: Value.Type) throws -> Value {
        let result = try run(arguments + ["--json"])
        guard result.status == 0 else { throw TestSetupError("haven \(arguments.joined(separator: " ")): \(result)") }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return try decoder.decode(Value.self, from: Data(result.stdout.utf8))
    }
}
