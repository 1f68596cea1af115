import EnricherCore
import Foundation
import Testing

@Suite("Configuration")
struct ConfigurationTests {
    @Test("defaults apply when nothing is set")
    func defaults() throws {
        let configuration = try Configuration(environment: [:])
        #expect(configuration.http.port == 8080)
        #expect(configuration.http.maxBodyBytes == 1 << 20)
        #expect(configuration.limits.batchMaxEntities == 1000)
        #expect(configuration.database.name == "enricher")
        #expect(throws: ConfigurationError.invalid(key: "ENRICHER_API_KEYS", reason: "no API key is configured; set at least one (scripts/run generates one for you)")) {
            try configuration.validateForServing()
        }
    }

    @Test("an invalid value is refused naming its key", arguments: [
        ("ENRICHER_PORT", "eighty", "'eighty' is not a whole number"),
        ("ENRICHER_PORT", "70000", "70000 is outside 0...65535"),
        ("ENRICHER_MAX_BODY_BYTES", "0", "0 is outside"),
        ("ENRICHER_BATCH_MAX_ENTITIES", "5000", "5000 is outside 1...1000"),
        ("ENRICHER_LOG_LEVEL", "loud", "must be one of"),
        ("MONGODB_URI", "postgres://x", "must start with mongodb://"),
        ("ENRICHER_DATABASE", "bad name", "letters, digits"),
        ("ENRICHER_API_KEYS", "short", "at least 16 characters"),
        ("ENRICHER_HOST", "localhost", "is not an IPv4 or IPv6 address"),
        ("ENRICHER_HTTP_ACCESS_LOG", "sometimes", "is neither on nor off"),
        ("ENRICHER_EGRESS_ID", "an ip", "letters, digits"),
    ])
    func invalid(key: String, value: String, reason: String) {
        do {
            _ = try Configuration(environment: [key: value])
            Issue.record("accepted \(key)=\(value)")
        } catch {
            #expect(error.description.hasPrefix("configuration \(key): "), "\(error)")
            #expect(error.description.contains(reason), "\(error)")
        }
    }

    @Test("the scan schedule is checked at start-up: hourly or slower passes, anything faster is refused naming the setting", arguments: [
        ("0 */6 * * *", nil),
        ("0 0 * * 1", nil),
        ("0 2 * * *", nil),
        ("off", nil),
        ("*/30 * * * *", "runs 30 minutes apart"),
        ("*/15 * * * *", "runs 15 minutes apart"),
        ("0 2 * *", "expected 5 fields, got 4"),
        ("0 25 * * *", "hour: 25 is outside 0-23"),
        ("0 0 30 feb *", "never runs"),
    ] as [(String, String?)])
    func scanSchedule(text: String, problem: String?) throws {
        let now = try Date("2026-11-23T16:00:00Z", strategy: .iso8601)
        do {
            let scans = try Configuration(environment: ["ENRICHER_SCAN_SCHEDULE": text], now: now).scans
            #expect(problem == nil, "accepted '\(text)'")
            #expect((scans.schedule == nil) == (text == "off"))
        } catch {
            let problem = try #require(problem, "refused '\(text)': \(error)")
            #expect(error.description.hasPrefix("configuration ENRICHER_SCAN_SCHEDULE: '\(text)': "), "\(error)")
            #expect(error.description.contains(problem), "\(error)")
        }
    }

    @Test("the scan time zone must be a zone name; the batch size and run time are bounded")
    func scanSettings() throws {
        let berlin = try Configuration(environment: ["ENRICHER_SCAN_TIMEZONE": "Europe/Berlin"]).scans
        #expect(berlin.timeZone.identifier == "Europe/Berlin")
        #expect(berlin.batchSize == 25 && berlin.maxRuntime == .seconds(3600))
        for (key, value, reason) in [("ENRICHER_SCAN_TIMEZONE", "Mars/Olympus", "is not a time zone name"),
                                     ("ENRICHER_SCAN_BATCH_SIZE", "0", "0 is outside 1...10000"),
                                     ("ENRICHER_SCAN_MAX_RUNTIME_SECONDS", "0", "0 is outside 1...86400")] {
            #expect(throws: ConfigurationError.self) { try Configuration(environment: [key: value]) }
            do { _ = try Configuration(environment: [key: value]) } catch {
                #expect(error.description.hasPrefix("configuration \(key): ") && error.description.contains(reason), "\(error)")
            }
        }
    }

    @Test("a JSON file supplies values, the environment overrides them, unknown keys are refused")
    func file() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("enricher-\(UUID()).json")
        defer { try? FileManager.default.removeItem(at: url) }
        try Data(#"{"ENRICHER_PORT": 9000, "ENRICHER_DATABASE": "fromfile"}"#.utf8).write(to: url)
        let configuration = try Configuration(environment: ["ENRICHER_CONFIG_FILE": url.path, "ENRICHER_PORT": "9100"])
        #expect(configuration.http.port == 9100)
        #expect(configuration.database.name == "fromfile")

        try Data(#"{"ENRICHER_PROT": 9000}"#.utf8).write(to: url)
        #expect(throws: ConfigurationError.file(path: url.path, reason: "unknown setting ENRICHER_PROT")) {
            try Configuration(environment: ["ENRICHER_CONFIG_FILE": url.path])
        }
    }

    @Test("secrets never appear in the effective configuration")
    func redaction() throws {
        let configuration = try Configuration(environment: [
            "ENRICHER_API_KEYS": "first-key-0123456789,second-key-0123456789",
            "MONGODB_URI": "mongodb://app:hunter2-password@db.example.com:27017/catalog?replicaSet=rs0",
        ])
        #expect(configuration.apiKeys == ["first-key-0123456789", "second-key-0123456789"])
        let shown = Dictionary(uniqueKeysWithValues: configuration.effective.map { ($0.key, $0.value) })
        #expect(shown["ENRICHER_API_KEYS"] == "<redacted>")
        #expect(shown["MONGODB_URI"] == "mongodb://app:<redacted>@db.example.com:27017/catalog?replicaSet=rs0")
        #expect(!shown.values.contains { $0.contains("hunter2") || $0.contains("first-key") })
    }
}
