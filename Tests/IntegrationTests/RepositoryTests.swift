import EnricherCore
import Foundation
import Testing

/// Checks on the repository's own documents that can be made on this machine.
@Suite("Repository")
struct RepositoryTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static func read(_ path: String) throws -> String {
        try String(contentsOf: root.appendingPathComponent(path), encoding: .utf8)
    }

    @Test("the README's configuration table lists every setting with its default")
    func readmeListsEverySetting() throws {
        let readme = try Self.read("README.md")
        for key in ConfigurationKey.all {
            let row = readme.split(separator: "\n").first { $0.hasPrefix("| `\(key.name)` |") }
            let line = try #require(row, "README has no row for \(key.name)")
            if let value = key.defaultValue {
                #expect(line.contains("`\(value)`"), "README row for \(key.name) does not show its default \(value)")
            }
        }
    }

    @Test("the contract's version is the service's")
    func contractVersion() throws {
        let contract = try Self.read("openapi/openapi.yaml")
        #expect(contract.contains("\n  version: \(EnricherVersion.current)\n"), "openapi/openapi.yaml info.version is not \(EnricherVersion.current)")
    }

    /// Docker cannot run here, but Debian 12's package index can say whether what the image installs exists.
    @Test("every package the Dockerfile installs exists in Debian 12")
    func dockerfilePackagesExist() throws {
        let dockerfile = try Self.read("Dockerfile")
        #expect(dockerfile.contains("FROM debian:bookworm-slim"), "the runtime image is Debian 12")
        let packages = Self.aptPackages(in: dockerfile)
        #expect(packages.contains("libmongoc-1.0-0"))
        #expect(packages.contains("libvips42"))
        let release = try String(contentsOfFile: "/etc/os-release", encoding: .utf8)
        try #require(release.contains("VERSION_CODENAME=bookworm"), "this check needs a Debian 12 machine")
        for package in packages {
            let policy = try runProcess("/usr/bin/apt-cache", ["policy", package]).output
            let candidate = policy.split(separator: "\n").first { $0.contains("Candidate:") }
            #expect(candidate != nil && !candidate!.contains("(none)"), "\(package) is not installable on Debian 12: \(policy)")
        }
    }

    /// The package names of every `apt-get install` in a Dockerfile.
    static func aptPackages(in dockerfile: String) -> [String] {
        let joined = dockerfile.replacingOccurrences(of: "\\\n", with: " ")
        var packages: [String] = []
        for line in joined.split(separator: "\n") where line.contains("apt-get install") {
            let afterInstall = line.components(separatedBy: "apt-get install").last ?? ""
            let command = afterInstall.components(separatedBy: "&&").first ?? ""
            packages += command.split(separator: " ").map(String.init).filter { !$0.hasPrefix("-") && !$0.isEmpty }
        }
        return packages
    }
}
