// swift-tools-version:6.0
// The baseline of `scripts/bench http`: a Hummingbird 2 (SwiftNIO) hello world answering GET /healthz.
// A package of its own, never a dependency of the service (which stays NIO-free).
import PackageDescription

let package = Package(
    name: "hello-hummingbird",
    platforms: [.macOS(.v14)],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird", exact: "2.28.1"),
    ],
    targets: [
        .executableTarget(
            name: "HelloHummingbird",
            dependencies: [.product(name: "Hummingbird", package: "hummingbird")]
        ),
    ]
)
