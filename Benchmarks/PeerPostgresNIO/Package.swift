// swift-tools-version:6.1
// A second reference for `scripts/bench db`: the same primary-key SELECT and 2 KiB INSERT as HavenBench,
// through postgres-nio with named prepared statements (as pgbench -M prepared). A package of its own so
// that Haven's build and CI never compile postgres-nio; only `scripts/bench db` builds it (release).
import PackageDescription

let package = Package(
    name: "PeerPostgresNIO",
    dependencies: [
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
    ],
    targets: [
        .executableTarget(
            name: "PeerPostgresNIO",
            dependencies: [
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        )
    ]
)
