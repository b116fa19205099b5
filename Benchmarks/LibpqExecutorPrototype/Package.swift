// swift-tools-version:6.0
import PackageDescription
let package = Package(
    name: "NB",
    targets: [
        .systemLibrary(name: "CLibPQ", pkgConfig: "libpq"),
        .executableTarget(name: "NB", dependencies: ["CLibPQ"]),
    ]
)
