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

    @Test("docs/configuration.md is what `enricher config docs` prints from the settings table")
    func configurationReferenceIsGenerated() throws {
        let committed = try Self.read(ConfigurationDocument.path)
        let generated = try runProcess(CommandLineTests.binary.path, ["config", "docs"], environment: ["PATH": "/usr/bin:/bin"], standardErrorToo: false)
        try #require(generated.status == 0, "\(generated.output)")
        let (committedLines, generatedLines) = (committed.split(separator: "\n", omittingEmptySubsequences: false),
                                                generated.output.split(separator: "\n", omittingEmptySubsequences: false))
        let firstDifference = zip(committedLines, generatedLines).enumerated().first { $0.element.0 != $0.element.1 }?.offset
            ?? min(committedLines.count, generatedLines.count)
        #expect(committed == generated.output, """
            \(ConfigurationDocument.path) is out of date: run `enricher config docs > \(ConfigurationDocument.path)` (first difference at \
            line \(firstDifference + 1): committed \(committedLines.dropFirst(firstDifference).first.map { "'\($0)'" } ?? "nothing"), \
            generated \(generatedLines.dropFirst(firstDifference).first.map { "'\($0)'" } ?? "nothing"))
            """)
    }

    @Test("docs/configuration.md lists every setting with its default")
    func configurationReferenceListsEverySetting() throws {
        let reference = try Self.read(ConfigurationDocument.path)
        for key in ConfigurationKey.all {
            let row = reference.split(separator: "\n").first { $0.hasPrefix("| `\(key.name)` |") }
            let line = try #require(row, "\(ConfigurationDocument.path) has no row for \(key.name)")
            #expect(line.contains("| \(key.defaultValue.map { "`\($0)`" } ?? "(none)") |"),
                    "\(ConfigurationDocument.path)'s row for \(key.name) does not show its default \(key.defaultValue ?? "(none)")")
        }
    }

    @Test("the README stays a five-minute read (at most 15 KB) and links every document under docs/")
    func readmeIsShortAndLinksTheDocs() throws {
        let readme = try Self.read("README.md")
        #expect(readme.utf8.count <= 15_360, "README.md is \(readme.utf8.count) bytes; move detail to docs/")
        let docs = try FileManager.default.contentsOfDirectory(atPath: Self.root.appendingPathComponent("docs").path)
            .filter { $0.hasSuffix(".md") }.map { "docs/\($0)" }
        let linked = Set(Self.relativeLinks(in: readme).map(\.path))
        for doc in docs { #expect(linked.contains(doc), "README.md does not link \(doc)") }
        for command in ["scripts/run", "scripts/test"] {
            #expect(readme.contains(command))
            #expect(FileManager.default.isExecutableFile(atPath: Self.root.appendingPathComponent(command).path), "\(command) is not executable")
        }
    }

    @Test("every relative link in README.md and docs/ names a file that exists, and a heading of it when it names one")
    func relativeLinksResolve() throws {
        let docs = try FileManager.default.contentsOfDirectory(atPath: Self.root.appendingPathComponent("docs").path)
            .filter { $0.hasSuffix(".md") }.map { "docs/\($0)" }
        for document in ["README.md"] + docs {
            for (link, anchor) in Self.relativeLinks(in: try Self.read(document)) {
                // The link's path from the repository root: the document's folder, then the link's steps.
                var parts = document.split(separator: "/").dropLast().map(String.init)
                for step in link.split(separator: "/") where step != "." {
                    if step == ".." { _ = parts.popLast() } else { parts.append(String(step)) }
                }
                let path = parts.joined(separator: "/")
                guard FileManager.default.fileExists(atPath: Self.root.appendingPathComponent(path).path) else {
                    Issue.record("\(document) links \(link), which does not exist")
                    continue
                }
                if let anchor, path.hasSuffix(".md") {
                    let headings = try Self.read(path).split(separator: "\n").filter { $0.hasPrefix("#") }.map { Self.anchor(String($0)) }
                    #expect(headings.contains(anchor), "\(document) links \(link)#\(anchor), a heading \(path) does not have")
                }
            }
        }
    }

    /// The targets of a document's relative Markdown links (`[text](target#anchor)`).
    static func relativeLinks(in markdown: String) -> [(path: String, anchor: String?)] {
        let pattern = try! NSRegularExpression(pattern: #"\]\(([^)\s]+)\)"#)
        let range = NSRange(markdown.startIndex..., in: markdown)
        return pattern.matches(in: markdown, range: range).compactMap { match in
            let target = String(markdown[Range(match.range(at: 1), in: markdown)!])
            guard !target.contains("://"), !target.hasPrefix("#"), !target.hasPrefix("mailto:") else { return nil }
            let parts = target.split(separator: "#", maxSplits: 1).map(String.init)
            return (parts[0], parts.count > 1 ? parts[1] : nil)
        }
    }

    /// GitHub's anchor for a Markdown heading line: lower case, spaces as hyphens, other punctuation dropped.
    static func anchor(_ heading: String) -> String {
        let title = heading.drop { $0 == "#" }.trimmingCharacters(in: .whitespaces).lowercased()
        return String(title.compactMap { $0 == " " ? "-" : ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" ? $0 : nil) })
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
