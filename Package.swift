// swift-tools-version: 6.0
import PackageDescription

let package = Package(
    name: "Enricher",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "enricher", targets: ["Enricher"]),
    ],
    dependencies: [
        .package(url: "https://github.com/swhitty/FlyingFox", exact: "0.27.1"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
    ],
    targets: [
        // C edge: libmongoc/libbson, reached only through the MongoDB module.
        .systemLibrary(
            name: "CMongoc",
            pkgConfig: "libmongoc-1.0",
            providers: [.apt(["libmongoc-dev", "libbson-dev"])]
        ),
        // BSON values, the binary format and Codable, in pure Swift.
        .target(name: "BSON"),
        // Async MongoDB access over libmongoc, on threads of its own.
        .target(
            name: "MongoDB",
            dependencies: [
                "CMongoc", "BSON",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // Outbound connections: the SSRF guard (and, with the enrichment issue, the libcurl client).
        .target(name: "Outbound"),
        // The catalog's domain: entities, identifiers, configuration, storage.
        .target(
            name: "EnricherCore",
            dependencies: [
                "MongoDB", "BSON",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // The HTTP API on FlyingFox.
        .target(
            name: "EnricherAPI",
            dependencies: [
                "EnricherCore",
                .product(name: "FlyingFox", package: "FlyingFox"),
                .product(name: "FlyingSocks", package: "FlyingFox"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .executableTarget(
            name: "Enricher",
            dependencies: [
                "EnricherAPI", "EnricherCore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .testTarget(name: "BSONTests", dependencies: ["BSON"]),
        .testTarget(name: "EnricherCoreTests", dependencies: ["EnricherCore"]),
        .testTarget(name: "OutboundTests", dependencies: ["Outbound"]),
        .testTarget(
            name: "IntegrationTests",
            dependencies: [
                "EnricherAPI", "EnricherCore", "MongoDB", "BSON",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)
