import Foundation
import HavenStore
import Testing

@Suite("Audit actions and entity types: one catalogue, as the log stores them")
struct AuditEventNameTests {
    @Test func everyActionFitsTheLogAndIsADottedVerb() {
        for action in AuditEvent.Action.allCases {
            #expect((1...AuditEvent.Action.maximumLength).contains(action.rawValue.count), "\(action)")
            #expect(action.rawValue.wholeMatch(of: /[a-z_]+(\.[a-z_]+)+/) != nil, "\(action)")
        }
        for type in AuditEvent.EntityType.allCases {
            #expect(type.rawValue.wholeMatch(of: /[a-z_]+/) != nil, "\(type)")
        }
    }

    /// The database appends some entries itself (sign-in, sign-out, second-factor steps, break-glass
    /// grants): the catalogue names those too, so it is the one list a reader of the log needs.
    @Test func theCatalogueNamesEveryActionTheMigrationsWrite() throws {
        let known = Set(AuditEvent.Action.allCases.map(\.rawValue))
        var written: Set<String> = []
        for migration in try Migration.embedded() {
            for match in migration.sql.matches(of: /'([a-z_]+(?:\.[a-z_]+)+)'/) where !match.1.hasPrefix("app.") {
                written.insert(String(match.1))
            }
        }
        #expect(!written.isEmpty)
        #expect(written.subtracting(known).isEmpty, "not in AuditEvent.Action: \(written.subtracting(known).sorted())")
    }
}
