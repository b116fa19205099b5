// swift-tools-version: 6.1
import PackageDescription

let strictSettings: [SwiftSetting] = [
    .swiftLanguageMode(.v6)
]

let package = Package(
    name: "Haven",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "haven", targets: ["haven"])
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.81.0"),
        // The web app's templates (docs/web.md).
        .package(url: "https://github.com/hummingbird-project/swift-mustache", from: "2.1.1"),
    ],
    targets: [
        // System libraries.
        .systemLibrary(
            name: "CLibPQ",
            pkgConfig: "libpq",
            providers: [.apt(["libpq-dev"])]
        ),
        .systemLibrary(
            name: "COpenSSL",
            pkgConfig: "libcrypto",
            providers: [.apt(["libssl-dev"])]
        ),
        // TLS for SMTP's STARTTLS (the system's OpenSSL, as COpenSSL; docs/operations.md "Mail").
        .systemLibrary(
            name: "CLibSSL",
            pkgConfig: "libssl",
            providers: [.apt(["libssl-dev"])]
        ),
        // QR codes for the web app's code-app enrolment (Debian's libqrencode; docs/web.md).
        .systemLibrary(
            name: "CQRencode",
            pkgConfig: "libqrencode",
            providers: [.apt(["libqrencode-dev"])]
        ),

        // Libraries, lowest layer first.
        .target(
            name: "HavenCore",
            swiftSettings: strictSettings
        ),
        .target(
            name: "Sealing",
            dependencies: ["COpenSSL"],
            swiftSettings: strictSettings
        ),
        .target(
            name: "Postgres",
            dependencies: [
                "CLibPQ",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        .target(
            name: "HavenStore",
            dependencies: [
                "HavenCore",
                "Postgres",
                "Sealing",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings,
            plugins: ["EmbedMigrations"]
        ),

        // Mail: messages from fixed templates, SMTP and sendmail transports (no database).
        .target(
            name: "HavenMail",
            dependencies: ["CLibSSL", "Sealing"],
            swiftSettings: strictSettings
        ),
        .target(
            name: "HavenService",
            dependencies: [
                "HavenCore",
                "HavenMail",
                "HavenStore",
                "Postgres",
                "Sealing",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        .target(
            name: "HavenHTTP",
            dependencies: [
                "CQRencode",
                "HavenMail",
                "HavenReports",
                "HavenService",
                "HavenStore",
                "HavenCore",
                "Postgres",
                "Sealing",
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Hummingbird", package: "hummingbird"),
                // HTTPServerBuilder: the HTTP/1.1 server with its idle timeout.
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                // HTTPParserError: a malformed body read by a route is a 400.
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Mustache", package: "swift-mustache"),
            ],
            // Embedded by EmbedWebAssets, not compiled or copied as resources.
            exclude: ["Web/Templates", "Web/Static"],
            swiftSettings: strictSettings,
            plugins: ["EmbedOpenAPIDocument", "EmbedWebAssets"]
        ),
        .target(
            name: "HavenReports",
            dependencies: ["HavenService", "HavenCore"],
            swiftSettings: strictSettings
        ),

        // The command-line interface.
        .executableTarget(
            name: "haven",
            dependencies: [
                "HavenCore",
                "HavenHTTP",
                "HavenMail",
                "HavenService",
                "HavenStore",
                "Sealing",
                "Postgres",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),

        // Benchmarks (run by scripts/bench; not shipped).
        .executableTarget(
            name: "HavenBench",
            dependencies: [
                "HavenCore",
                "HavenReports",
                "HavenService",
                "HavenStore",
                "Postgres",
                "Sealing",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),

        // Build-time embedding of files kept elsewhere in the repository: sql/migrations into
        // HavenStore, docs/openapi.yaml into HavenHTTP. One generator, one plugin per use.
        .executableTarget(
            name: "FileEmbedder",
            swiftSettings: strictSettings
        ),
        .plugin(
            name: "EmbedMigrations",
            capability: .buildTool(),
            dependencies: ["FileEmbedder"]
        ),
        .plugin(
            name: "EmbedOpenAPIDocument",
            capability: .buildTool(),
            dependencies: ["FileEmbedder"]
        ),
        .plugin(
            name: "EmbedWebAssets",
            capability: .buildTool(),
            dependencies: ["FileEmbedder"]
        ),

        // Tests. Suites that need the PostgreSQL test server (or the built binary) are skipped, saying
        // why, when scripts/test has not set it up, so a plain `swift test` passes.
        //
        // Test databases, running the built binary, log capture, and the traits that skip.
        .target(
            name: "HavenTestSupport",
            dependencies: [
                "HavenMail",
                "Postgres",
                "HavenStore",
                "Sealing",
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Tests/HavenTestSupport",
            swiftSettings: strictSettings
        ),
        // A practice with staff, a clinic, a sealed test table: shared by the service and CLI tests.
        .target(
            name: "HavenServiceFixtures",
            dependencies: [
                "HavenCore",
                "HavenMail",
                "HavenService",
                "HavenStore",
                "HavenTestSupport",
                "Postgres",
                "Sealing",
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Tests/HavenServiceFixtures",
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "HavenHTTPTests",
            dependencies: [
                "HavenHTTP", "HavenMail", "HavenReports", "HavenService", "HavenStore", "HavenCore", "Postgres",
                "Sealing", "HavenTestSupport",
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "HavenReportsTests",
            dependencies: ["HavenReports", "HavenService", "HavenCore", "HavenTestSupport"],
            exclude: ["Goldens"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "HavenMailTests",
            dependencies: ["HavenMail", "HavenTestSupport"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "HavenCoreTests",
            dependencies: ["HavenCore"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "SealingTests",
            dependencies: ["Sealing", "HavenTestSupport"],
            exclude: ["Fixtures"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "PostgresTests",
            dependencies: ["Postgres", "HavenTestSupport"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "HavenServiceTests",
            dependencies: [
                "HavenCore", "HavenMail", "HavenReports", "HavenService", "HavenStore", "Postgres", "Sealing",
                "HavenTestSupport", "HavenServiceFixtures",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        // The built `haven` binary end to end (HAVEN_BIN, set by scripts/test).
        .testTarget(
            name: "HavenCLITests",
            dependencies: [
                "HavenHTTP", "HavenService", "HavenStore", "Postgres", "Sealing", "HavenTestSupport",
                "HavenServiceFixtures",
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "HavenStoreTests",
            dependencies: [
                "HavenStore", "HavenCore", "Postgres", "HavenTestSupport",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
    ]
)
