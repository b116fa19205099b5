import Foundation
import HavenService
import Hummingbird
import HummingbirdTesting
import Logging
import Postgres
import Sealing
import Testing

@testable import HavenHTTP

@Suite("The served OpenAPI document is docs/openapi.yaml")
struct OpenAPIDocumentTests {
    static let documentInDocs = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../../docs/openapi.yaml").standardizedFileURL

    @Test func theEmbeddedCopyIsTheFileInDocs() throws {
        #expect(try Data(contentsOf: Self.documentInDocs) == Data(openAPIDocumentYAML.utf8))
    }

    @Test func theRouteServesTheFileInDocsByteForByte() async throws {
        let expected = try Data(contentsOf: Self.documentInDocs)
        let application = Application(router: try RouteDocumentTests.api().router(), logger: RouteDocumentTests.logger)
        try await application.test(.router) { client in
            try await client.execute(uri: "/openapi.yaml", method: .get) { response in
                #expect(response.status == .ok && response.headers[.contentType] == "application/yaml")
                #expect(Data(buffer: response.body) == expected)
            }
        }
    }
}

@Suite("Routes and the OpenAPI document do not drift")
struct RouteDocumentTests {
    /// `(method, path)` pairs from the document's `paths`.
    static func documented() -> Set<String> {
        var result: Set<String> = []
        var path: String?
        var inPaths = false
        for line in openAPIDocumentYAML.split(separator: "\n", omittingEmptySubsequences: false) {
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

    static let logger = Logger(label: "test")

    /// The API over a pool that reaches no server (these tests need no database).
    static func api() throws -> HavenAPI {
        let pool = ConnectionPool(
            configuration: try PostgresConfiguration("postgresql://nobody@127.0.0.1:1/none"),
            logger: logger
        )
        return HavenAPI(
            pool: pool,
            keys: KeyManager(ring: try MasterKeyring.generate(), logger: logger),
            auth: AuthService(pool: pool, logger: logger),
            logger: logger
        ) { [] }
    }

    @Test func everyRouteIsDocumentedAndEveryDocumentedRouteExists() throws {
        let routed = Set(
            // The web app's pages (docs/web.md) are HTML for browsers, not part of the API's contract.
            try Self.api().router().routes.filter { RequestMiddleware.isAPIPath("\($0.path)") }.map {
                "\($0.method.rawValue) \($0.path)"
            }
        )
        #expect(routed.count >= 14)
        #expect(routed == Self.documented())
    }
}
