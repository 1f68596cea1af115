import Foundation
import Testing

/// The `enricher` binary as an operator runs it.
@Suite("Command line")
struct CommandLineTests {
    /// The binary SwiftPM built next to this test bundle.
    static var binary: URL {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("enricher")
    }

    static func run(_ arguments: [String], environment: [String: String]) throws -> (status: Int32, output: String) {
        try runProcess(binary.path, arguments, environment: environment.merging(["PATH": "/usr/bin:/bin"]) { $1 })
    }

    @Test("config check prints the effective configuration with secrets redacted")
    func configCheckValid() throws {
        let result = try Self.run(["config", "check"], environment: ["ENRICHER_API_KEYS": "a-key-of-sixteen-chars", "ENRICHER_PORT": "9090"])
        #expect(result.status == 0, "\(result.output)")
        #expect(result.output.contains("configuration is valid"))
        #expect(result.output.contains("ENRICHER_PORT"))
        #expect(result.output.contains("9090"))
        #expect(!result.output.contains("a-key-of-sixteen-chars"))
    }

    @Test("an invalid setting stops the command with a message naming it", arguments: [
        (["config", "check"], ["ENRICHER_API_KEYS": "a-key-of-sixteen-chars", "ENRICHER_MAX_BODY_BYTES": "lots"], "ENRICHER_MAX_BODY_BYTES"),
        (["config", "check"], [:], "ENRICHER_API_KEYS"),
        (["serve"], ["ENRICHER_API_KEYS": "a-key-of-sixteen-chars", "ENRICHER_LOG_LEVEL": "chatty"], "ENRICHER_LOG_LEVEL"),
    ])
    func invalidSetting(arguments: [String], environment: [String: String], key: String) throws {
        let result = try Self.run(arguments, environment: environment)
        #expect(result.status == 2, "\(result.output)")
        #expect(result.output.contains("enricher: configuration \(key):"), "\(result.output)")
    }
}
