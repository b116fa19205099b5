import Foundation
import HavenService
import HavenTestSupport
import Postgres
import Sealing

/// A practice with counselor Dana (StaffFixture), a master key file, a private config directory, a
/// live `haven serve` on them, and the built `haven` binary pointed at all of it (`HAVEN_URL` for
/// sign-in, the database and key for the commands that still reach the database directly).
struct CLIFixture {
    let fixture: StaffFixture
    let cli: HavenCLI
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
            var cli = HavenCLI(
                binary: try TestDatabase.havenBinary(),
                environment: [
                    "HAVEN_DATABASE_URL": try await TestDatabase.appURL(for: fixture.owner.configuration),
                    "HAVEN_OWNER_DATABASE_URL": try TestDatabase.url(for: fixture.owner.configuration),
                    "HAVEN_MASTER_KEY_FILE": keyFile,
                    "HAVEN_CONFIG_DIR": directory + "/config",
                    "HOME": directory,
                    "PATH": "/usr/bin:/bin",
                    "USER": "tester",
                ]
            )
            let server = try await HavenServer.start(cli, directory: directory)
            defer { server.stop() }
            cli.environment["HAVEN_URL"] = server.url
            try await body(CLIFixture(fixture: fixture, cli: cli, directory: directory, keys: keys, server: server))
        }
    }

    /// Signs Dana in.
    func login() throws {
        let result = try cli.run(
            ["login", "--email", "dana@harbor.example", "--password-stdin"],
            stdin: StaffFixture.password
        )
        guard result.status == 0 else { throw TestSetupError("login failed: \(result)") }
    }

    /// Runs a command that must succeed and returns its first output line.
    @discardableResult
    func ok(_ arguments: [String], stdin: String = "", environment: [String: String] = [:]) throws -> String {
        let result = try cli.run(arguments, stdin: stdin, extraEnvironment: environment)
        guard result.status == 0 else { throw TestSetupError("haven \(arguments.joined(separator: " ")): \(result)") }
        return result.firstLine
    }

    /// Runs a read command with --json and decodes its output.
    func json<Value: Decodable>(_ arguments: [String], as type: Value.Type) throws -> Value {
        let result = try cli.run(arguments + ["--json"])
        guard result.status == 0 else { throw TestSetupError("haven \(arguments.joined(separator: " ")): \(result)") }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return try decoder.decode(Value.self, from: Data(result.stdout.utf8))
    }
}
