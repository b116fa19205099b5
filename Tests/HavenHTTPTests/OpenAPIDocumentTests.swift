import Foundation
import HavenService
import Logging
import Postgres
import Sealing
import Testing

@testable import HavenHTTP

@Suite("The served OpenAPI document is docs/openapi.yaml")
struct OpenAPIDocumentTests {
    @Test func theEmbeddedCopyIsTheFileInDocs() throws {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../../docs/openapi.yaml").standardizedFileURL
        #expect(try String(contentsOf: url, encoding: .utf8) == OpenAPIDocument.yaml, "run scripts/embed-openapi")
    }
}

@Suite("Routes and the OpenAPI document do not drift")
struct RouteDocumentTests {
    /// `(method, path)` pairs from the document's `paths`.
    static func documented() -> Set<String> {
        var result: Set<String> = []
        var path: String?
        var inPaths = false
        for line in OpenAPIDocument.yaml.split(separator: "\n", omittingEmptySubsequences: false) {
            if line == "paths:" {
                inPaths = true
                continue
            }
            if inPaths, !line.hasPrefix(" "), !line.isEmpty { break }
            if line.hasPrefix("  /"), line.hasSuffix(":"), !line.hasPrefix("   ") {
                path = String(line.dropFirst(2).dropLast())
            } else if let path, line.hasPrefix("    "), !line.hasPrefix("     "),
                case let word = line.trimmingCharacters(in: .whitespaces).dropLast(),
                ["get", "post", "put", "delete", "patch"].contains(word)
            {
                result.insert("\(word.uppercased()) \(path)")
            }
        }
        return result
    }

    @Test func everyRouteIsDocumentedAndEveryDocumentedRouteExists() throws {
        let logger = Logger(label: "test")
        let pool = ConnectionPool(
            configuration: try PostgresConfiguration("postgresql://nobody@127.0.0.1:1/none"),
            logger: logger
        )
        let api = HavenAPI(
            pool: pool,
            keys: KeyManager(ring: try MasterKeyring.generate(), logger: logger),
            auth: AuthService(pool: pool, logger: logger),
            logger: logger
        ) { [] }
        let routed = Set(api.router().routes.map { "\($0.method.rawValue) \($0.path)" })
        #expect(routed.count >= 14)
        #expect(routed == Self.documented())
    }
}
