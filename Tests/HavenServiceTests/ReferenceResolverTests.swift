import Foundation
import HavenService
import HavenServiceFixtures
import HavenTestSupport
import Postgres
import Testing

@Suite("Id prefixes resolve within the actor's reach", .needsTestDatabase)
struct ReferenceResolverTests {
    @Test func aPrefixResolvesToOneIdAndSeveralMatchesAreAConflict() async throws {
        try await ClinicSetup.with { setup in
            let resolver = ReferenceResolver(pool: setup.fixture.app)
            for suffix in ["1", "2"] {
                try await setup.fixture.owner.query(
                    """
                    INSERT INTO clients (id, practice_id, legal_name, intake_date, primary_counselor_id)
                    VALUES (\(UUID(uuidString: "bbbbbbbb-0000-4000-8000-\(suffix)00000000000")!), \
                    \(setup.fixture.practiceID), 'Fictional \(suffix)', '2026-09-01', \(setup.fixture.counselorID))
                    """
                )
            }
            let one = try await resolver.resolve("bbbbbbbb-0000-4000-8000-1", as: .client, actor: setup.counselorA)
            #expect(one == UUID(uuidString: "bbbbbbbb-0000-4000-8000-100000000000"))

            let ambiguous = await #expect(throws: ServiceError.self) {
                try await resolver.resolve("bbbbbbbb", as: .client, actor: setup.counselorA)
            }
            #expect(ambiguous?.kind == .conflict)
            #expect(ambiguous?.reason == ReferenceResolver.ambiguous)
            #expect(ambiguous?.field == "client")
            #expect(
                ambiguous?.message.contains(
                    "bbbbbbbb-0000-4000-8000-100000000000, bbbbbbbb-0000-4000-8000-200000000000"
                ) == true
            )

            // Another counselor's reach holds neither: not found, never a conflict.
            let outOfReach = await #expect(throws: ServiceError.self) {
                try await resolver.resolve("bbbbbbbb", as: .client, actor: setup.counselorB)
            }
            #expect(outOfReach?.kind == .notFound)
            let malformed = await #expect(throws: ServiceError.self) {
                try await resolver.resolve("bbbb", as: .client, actor: setup.counselorA)
            }
            #expect(malformed?.kind == .invalidInput)
            #expect(malformed?.field == "client")
        }
    }
}
