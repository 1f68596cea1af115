// swift-tools-version: 6.0
import PackageDescription

let package = Package(
    name: "Enricher",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "enricher", targets: ["Enricher"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
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
        // A fixed thread pool for blocking C calls (libmongoc, libvips), off the cooperative pool.
        .target(name: "Blocking"),
        // Async MongoDB access over libmongoc, on threads of its own.
        .target(
            name: "MongoDB",
            dependencies: [
                "CMongoc", "BSON", "Blocking",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // C edge: libcurl's variadic setopt and callbacks behind plain functions.
        .target(name: "CCurl", linkerSettings: [.linkedLibrary("curl")]),
        // Outbound HTTP over libcurl with the SSRF guard on every dialled address.
        .target(
            name: "Outbound",
            dependencies: [
                "CCurl",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // C edge: libvips (pkg-config flags) and a shim of plain functions over its variadic API.
        .systemLibrary(name: "CVipsSystem", pkgConfig: "vips", providers: [.apt(["libvips-dev"])]),
        .target(name: "CVips", dependencies: ["CVipsSystem"]),
        // Image checks and processing over libvips, on threads of its own.
        .target(
            name: "Images",
            dependencies: [
                "CVips", "Blocking",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // `scripts/bench images`: renditions per second and peak memory over generated covers.
        .executableTarget(name: "ImageBench", dependencies: ["Images"]),
        // Rate limiter (GCRA), daily quota, circuit breaker and retry backoff: value types on a clock
        // passed in; the enrichment module guards every provider with them.
        .target(name: "Resilience"),
        // Cron calendar and the scan's batch allocation. Groundwork for the scheduling issue.
        .target(name: "Scheduling"),
        // The catalog's domain: entities, identifiers, configuration, storage.
        .target(
            name: "EnricherCore",
            dependencies: [
                "MongoDB", "BSON", "Scheduling",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // Finding covers: providers, chains, outcome rules, enrichment jobs.
        .target(
            name: "Enrichment",
            dependencies: [
                "EnricherCore", "Outbound", "Images", "MongoDB", "BSON", "Blocking", "Resilience", "Scheduling",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // C edge: epoll and eventfd, which Swift's Glibc module does not expose.
        .target(name: "CEpoll"),
        // Our HTTP/1.1 server, NIO-free: a strict, linear parser over bytes with every limit a parameter,
        // non-blocking sockets and one epoll thread. Knows nothing of routes or of Enricher.
        .target(
            name: "HTTPCore",
            dependencies: [
                "CEpoll",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // The HTTP API: routes, the access each declares, problem+json.
        .target(
            name: "EnricherAPI",
            dependencies: [
                "EnricherCore", "Enrichment", "HTTPCore",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // The composition root: which concrete parts make up the running service, in one ServiceGroup.
        .target(
            name: "EnricherApp",
            dependencies: [
                "EnricherAPI", "EnricherCore", "Enrichment", "HTTPCore", "MongoDB", "Images", "Outbound", "Blocking", "Resilience",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ]
        ),
        .executableTarget(
            name: "Enricher",
            dependencies: [
                "EnricherApp", "EnricherAPI", "EnricherCore", "Enrichment",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .testTarget(name: "BSONTests", dependencies: ["BSON"]),
        // The seeded generator the property and fuzz tests share.
        .target(name: "SeededRandom", path: "Tests/SeededRandom"),
        .testTarget(name: "HTTPCoreTests", dependencies: ["HTTPCore", "SeededRandom"]),
        .testTarget(name: "EnricherCoreTests", dependencies: ["EnricherCore"]),
        .testTarget(
            name: "OutboundTests",
            dependencies: ["Outbound", "HTTPCore", .product(name: "Logging", package: "swift-log")]
        ),
        .testTarget(name: "ResilienceTests", dependencies: ["Resilience", "SeededRandom"]),
        .testTarget(name: "SchedulingTests", dependencies: ["Scheduling"]),
        .testTarget(name: "ImagesTests", dependencies: ["Images", .product(name: "Crypto", package: "swift-crypto")]),
        .testTarget(name: "EnrichmentTests", dependencies: ["Enrichment", "EnricherCore", "Outbound", "Scheduling", "SeededRandom"]),
        .testTarget(
            name: "IntegrationTests",
            dependencies: [
                "EnricherApp", "EnricherAPI", "EnricherCore", "Enrichment", "Outbound", "Images", "MongoDB", "BSON", "HTTPCore", "SeededRandom",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)
