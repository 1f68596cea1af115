import EnricherCore
import Enrichment
import Foundation
import Logging
import Testing

/// What the real `enricher serve` writes, as an operator reads it: a few short start-up lines, JSON lines a
/// collector can parse, and never a secret.
@Suite("Logs of the real binary", .serialized)
struct StartupLogTests {
    /// Secrets set for the run, none of which may appear in its log.
    static let secrets = [
        "ENRICHER_TMDB_TOKEN": "tmdb-token-must-not-leak",
        "ENRICHER_GOOGLEBOOKS_API_KEY": "googlebooks-key-must-not-leak",
        "ENRICHER_UPCITEMDB_USER_KEY": "upcitemdb-key-must-not-leak",
        "ENRICHER_CALLBACK_SECRET": "whsec_c2VjcmV0LXNpZ25pbmcta2V5LW11c3Qtbm90LWxlYWs=",
    ]

    /// Runs `enricher serve` with `settings` until it listens and has said when the next scan is, makes a few
    /// requests (one with a wrong key, one for the configuration), and hands over its log.
    static func serve(_ settings: [String: String]) async throws -> String {
        try await TestDatabase.with("startlog") { database in
            var environment = secrets
            environment.merge([
                "MONGODB_URI": try TestDatabase.uri(),
                "ENRICHER_DATABASE": database.name,
                "ENRICHER_API_KEYS": TestService.apiKey,
                "ENRICHER_LOG_LEVEL": "info",
            ]) { $1 }
            environment.merge(settings) { $1 }
            let serve = try ServeProcess(environment: environment)
            defer { serve.cleanUp() }
            try await serve.waitUntilReady()
            try await waitUntil(deadline: .seconds(10)) { serve.log.contains("scans scheduled") }
            #expect(try await serve.client.send("GET", "/v1/config", auth: .custom("Bearer not-the-key-but-long-enough")).status == 401)
            #expect(try await serve.client.get("/v1/config").status == 200)
            try await waitUntil(deadline: .seconds(10)) { serve.log.components(separatedBy: "/v1/config").count > 2 }
            return serve.log
        }
    }

    static func expectNoSecrets(_ log: String) {
        for (key, value) in secrets { #expect(!log.contains(value), "\(key)'s value is in the log") }
        #expect(!log.contains(TestService.apiKey), "the API key is in the log")
    }

    @Test("start-up says in a few short lines the version, database, providers on and off with why, address and next scan")
    func shortStartup() async throws {
        let log = try await Self.serve([:])
        let lines = log.split(separator: "\n").map(String.init)
        let scanLine = try #require(lines.firstIndex { $0.contains("scans scheduled") }, "\(log)")
        let startup = Array(lines[...scanLine])
        #expect(startup.count <= 12, "\(startup.count) start-up lines:\n\(startup.joined(separator: "\n"))")
        for line in startup { #expect(line.utf8.count < 200, "a start-up line of \(line.utf8.count) bytes: \(line)") }
        let text = startup.joined(separator: "\n")
        #expect(text.contains("version=\(EnricherVersion.current)"))
        let uri = try TestDatabase.uri()
        #expect(text.contains("uri=\(uri)"))
        #expect(text.contains("listening"))
        #expect(text.contains("nextRun="))
        let enabled = try #require(startup.first { $0.contains("cover providers enabled") })
        for provider in ["openlibrary", "googlebooks", "upcitemdb", "tmdb", "musicbrainz"] { #expect(enabled.contains(provider), "\(enabled)") }
        for provider in ["giantbomb", "igdb"] {
            let off = startup.first { $0.contains("cover provider disabled") && $0.contains("provider=\(provider)") }
            #expect(off?.contains("not set") == true, "\(provider) is off, and why: \(off ?? "no line")")
        }
        #expect(!text.contains("ENRICHER_HTTP_MAX_HEADER_COUNT"), "start-up no longer lists every setting")
        Self.expectNoSecrets(log)
    }

    @Test("ENRICHER_LOG_FORMAT=json: every line is one JSON object with timestamp, level, label, message and metadata")
    func jsonLines() async throws {
        let log = try await Self.serve([ConfigurationKey.logFormat.name: "json"])
        let lines = log.split(separator: "\n")
        #expect(lines.count >= 8, "\(log)")
        var messages: [String: [String: Any]] = [:]
        for line in lines {
            let object = try #require(try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], "not a JSON object: \(line)")
            let timestamp = try #require(object["timestamp"] as? String, "\(line)")
            #expect(ISO8601DateFormatter.withFractionalSeconds.date(from: timestamp) != nil, "timestamp \(timestamp)")
            #expect(Logger.Level.allCases.map(\.rawValue).contains(object["level"] as? String ?? ""), "\(line)")
            #expect(object["label"] as? String == "enricher", "\(line)")
            let message = try #require(object["message"] as? String, "\(line)")
            let metadata = try #require(object["metadata"] as? [String: Any], "\(line)")
            messages[message] = metadata
        }
        #expect(messages["starting"]?["version"] as? String == EnricherVersion.current)
        #expect(messages["listening"]?["port"] != nil)
        #expect((messages["cover providers enabled"]?["providers"] as? String)?.contains("tmdb") == true)
        // The access log's lines are there, with their request ids.
        #expect(lines.contains { $0.contains("\"route\":\"/v1/config\"") && $0.contains("\"requestId\"") }, "\(log)")
        Self.expectNoSecrets(log)
    }

    @Test("a database password in MONGODB_URI never reaches the log, even when start-up fails")
    func databasePasswordRedacted() throws {
        for format in ["text", "json"] {
            let result = try CommandLineTests.run(["serve"], environment: [
                "MONGODB_URI": "mongodb://catalog:db-password-must-not-leak@127.0.0.1:1/?directConnection=true",
                "ENRICHER_DB_STARTUP_TIMEOUT_SECONDS": "1", "ENRICHER_DB_SERVER_SELECTION_TIMEOUT_MS": "200",
                "ENRICHER_API_KEYS": TestService.apiKey, ConfigurationKey.logFormat.name: format,
            ])
            #expect(result.status == 1, "\(result.output)")
            #expect(result.output.contains("catalog:<redacted>@127.0.0.1:1"), "\(result.output)")
            #expect(!result.output.contains("db-password-must-not-leak"), "\(result.output)")
            #expect(!result.output.contains(TestService.apiKey))
        }
    }
}

extension ISO8601DateFormatter {
    static var withFractionalSeconds: ISO8601DateFormatter {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter
    }
}
