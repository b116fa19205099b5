import Foundation
import HavenService
import HavenStore
import HavenTestSupport
import Logging
import Postgres
import Sealing

/// A practice with staff, the owner pool (operator) and the application-role pool (service).
///
/// Shared by HavenServiceTests and HavenCLITests; needs the test server (`TestDatabase`).
public struct StaffFixture: Sendable {
    /// The owner role's pool: the operator's reach (creates practices and staff, migrates).
    public let owner: ConnectionPool
    /// The application role's pool (`haven_app`), as the service connects.
    public let app: ConnectionPool
    /// Harbor Counseling, the fixture's practice.
    public let practiceID: UUID
    /// Dana Reyes (`dana@harbor.example`), a counselor.
    public let counselorID: UUID
    /// Staff administration over the owner pool.
    public let staff: StaffService
    /// Every fixture staff member's password.
    public static let password = "correct horse battery"
    /// A cheap scrypt setting, so tests do not spend their time hashing.
    public static let hasher = PasswordHasher(parameters: .init(logN: 10, r: 8, p: 1))

    /// Creates a migrated test database with the practice and Dana, runs `body`, closes both pools and
    /// drops the database.
    public static func with<Value>(
        logger: Logger = TestDatabase.logger,
        _ body: (StaffFixture) async throws -> Value
    ) async throws -> Value {
        try await TestDatabase.with { configuration in
            let owner = ConnectionPool(
                configuration: configuration,
                limits: .init(maxConnections: 4, checkoutTimeout: TestDatabase.checkoutTimeout),
                logger: logger
            )
            let app = ConnectionPool(
                configuration: try await TestDatabase.appConfiguration(for: configuration),
                limits: .init(maxConnections: 4, checkoutTimeout: TestDatabase.checkoutTimeout),
                logger: logger
            )
            let staff = StaffService(pool: owner, hasher: hasher)
            let practiceID = try await staff.createPractice(name: "Harbor Counseling", timeZone: "America/Chicago")
            let counselorID = try await staff.createStaff(
                .init(
                    email: "Dana@Harbor.example",
                    displayName: "Dana Reyes",
                    credentials: "LMFT",
                    roles: [.counselor],
                    password: password
                ),
                practiceID: practiceID,
                source: "test"
            )
            let fixture = StaffFixture(
                owner: owner,
                app: app,
                practiceID: practiceID,
                counselorID: counselorID,
                staff: staff
            )
            // Close both pools before the database is dropped: DROP DATABASE ... WITH (FORCE) may not
            // terminate the application role's sessions.
            do {
                let value = try await body(fixture)
                await owner.close()
                await app.close()
                return value
            } catch {
                await owner.close()
                await app.close()
                throw error
            }
        }
    }

    /// Sign-in over the application-role pool with the fixture's hasher.
    public func auth(_ policy: AuthService.Policy = .init(), keys: KeyManager? = nil) -> AuthService {
        AuthService(pool: app, keys: keys, hasher: Self.hasher, policy: policy, logger: TestDatabase.logger)
    }
}
