import EnricherCore
import Foundation
import Testing

@Suite("Configuration")
struct ConfigurationTests {
    @Test("defaults apply when nothing is set")
    func defaults() throws {
        let configuration = try Configuration(environment: [:], providers: [])
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
        ("ENRICHER_RETRY_NOT_FOUND_SCHEDULE", "7d,soon", "'soon' is not a wait"),
        ("ENRICHER_RETRY_FAILED_SCHEDULE", "0s", "'0s' is not a wait"),
    ])
    func invalid(key: String, value: String, reason: String) {
        do {
            _ = try Configuration(environment: [key: value], providers: [])
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
            let scans = try Configuration(environment: ["ENRICHER_SCAN_SCHEDULE": text], providers: [], now: now).scans
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
        let berlin = try Configuration(environment: ["ENRICHER_SCAN_TIMEZONE": "Europe/Berlin"], providers: []).scans
        #expect(berlin.timeZone.identifier == "Europe/Berlin")
        #expect(berlin.batchSize == 25 && berlin.maxRuntime == .seconds(3600))
        for (key, value, reason) in [("ENRICHER_SCAN_TIMEZONE", "Mars/Olympus", "is not a time zone name"),
                                     ("ENRICHER_SCAN_BATCH_SIZE", "0", "0 is outside 1...10000"),
                                     ("ENRICHER_SCAN_MAX_RUNTIME_SECONDS", "0", "0 is outside 1...86400")] {
            #expect(throws: ConfigurationError.self) { try Configuration(environment: [key: value], providers: []) }
            do { _ = try Configuration(environment: [key: value], providers: []) } catch {
                #expect(error.description.hasPrefix("configuration \(key): ") && error.description.contains(reason), "\(error)")
            }
        }
    }

    @Test("image housekeeping: the orphan grace is in minutes, scheduled reconciliation can be off")
    func imageHousekeeping() throws {
        let defaults = try Configuration(environment: [:], providers: []).images
        #expect(defaults.orphanGrace == .seconds(3600) && defaults.reconcileInterval == .seconds(86_400))
        for off in ["off", "OFF", "0"] {
            #expect(try Configuration(environment: ["ENRICHER_IMAGE_RECONCILE_INTERVAL_SECONDS": off], providers: []).images.reconcileInterval == nil)
        }
        let set = try Configuration(environment: ["ENRICHER_IMAGE_RECONCILE_INTERVAL_SECONDS": "600",
                                                  "ENRICHER_IMAGE_ORPHAN_GRACE_MINUTES": "0"], providers: []).images
        #expect(set.reconcileInterval == .seconds(600) && set.orphanGrace == .zero)
        for (key, value, reason) in [("ENRICHER_IMAGE_RECONCILE_INTERVAL_SECONDS", "daily", "'daily' is not a whole number"),
                                     ("ENRICHER_IMAGE_RECONCILE_INTERVAL_SECONDS", "-5", "-5 is outside 0...2592000"),
                                     ("ENRICHER_IMAGE_ORPHAN_GRACE_MINUTES", "20000", "20000 is outside 0...10080")] {
            do {
                _ = try Configuration(environment: [key: value], providers: [])
                Issue.record("accepted \(key)=\(value)")
            } catch {
                #expect(error.description.hasPrefix("configuration \(key): ") && error.description.contains(reason), "\(error)")
            }
        }
    }

    @Test("a JSON file supplies values, the environment overrides them, unknown keys are refused")
    func file() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("enricher-\(UUID()).json")
        defer { try? FileManager.default.removeItem(at: url) }
        try Data(#"{"ENRICHER_PORT": 9000, "ENRICHER_DATABASE": "fromfile"}"#.utf8).write(to: url)
        let configuration = try Configuration(environment: ["ENRICHER_CONFIG_FILE": url.path, "ENRICHER_PORT": "9100"], providers: [])
        #expect(configuration.http.port == 9100)
        #expect(configuration.database.name == "fromfile")

        try Data(#"{"ENRICHER_PROT": 9000}"#.utf8).write(to: url)
        #expect(throws: ConfigurationError.file(path: url.path, reason: "unknown setting ENRICHER_PROT")) {
            try Configuration(environment: ["ENRICHER_CONFIG_FILE": url.path], providers: [])
        }
    }

    @Test("secrets never appear in the effective configuration")
    func redaction() throws {
        let configuration = try Configuration(environment: [
            "ENRICHER_API_KEYS": "first-key-0123456789,second-key-0123456789",
            "MONGODB_URI": "mongodb://app:hunter2-password@db.example.com:27017/catalog?replicaSet=rs0",
        ], providers: [])
        #expect(configuration.apiKeys == ["first-key-0123456789", "second-key-0123456789"])
        let shown = Dictionary(uniqueKeysWithValues: configuration.effective.map { ($0.key, $0.value) })
        #expect(shown["ENRICHER_API_KEYS"] == "<redacted>")
        #expect(shown["MONGODB_URI"] == "mongodb://app:<redacted>@db.example.com:27017/catalog?replicaSet=rs0")
        #expect(!shown.values.contains { $0.contains("hunter2") || $0.contains("first-key") })
    }

    /// A provider as the enrichment module declares one, made up: the configuration sees only its keys.
    static let example = ProviderKeys(
        name: "example",
        settings: [
            .url(ConfigurationKey("ENRICHER_EXAMPLE_URL", "https://api.example.org", "Example API base URL.")),
            .credential(ConfigurationKey("ENRICHER_EXAMPLE_TOKEN", nil, "Example token.", secret: true), required: true),
            .option(ConfigurationKey("ENRICHER_EXAMPLE_SIZE", "small", "Example size: small or large.")) {
                ["small", "large"].contains($0) ? nil : "must be small or large"
            },
        ],
        budgets: [
            ProviderKeys.Budget(name: "example", rate: .rate("Example", "EXAMPLE", "2/s", "2 req/s"), burst: .burst("Example", "EXAMPLE", "3")),
            ProviderKeys.Budget(name: "example-images", rate: ConfigurationKey("ENRICHER_EXAMPLE_IMAGES_RATE", "10/min", "Example images."), burst: nil),
        ],
        dailyQuota: .dailyQuota("Example", "EXAMPLE", "0"))

    @Test("a provider's keys join the table, are read as their kinds say, and known to the file")
    func providerKeys() throws {
        let table = ConfigurationKey.table(providers: [Self.example])
        let names = table.map(\.name)
        #expect(Set(names).count == names.count, "a key is listed twice")
        for key in Self.example.settingKeys + Self.example.budgetKeys {
            #expect(names.contains(key.name), "\(key.name) is not in the table")
        }
        #expect(table.first { $0 == .providersDisabled }?.meaning.hasSuffix("(example).") == true)
        #expect(!ConfigurationKey.table(providers: []).contains { $0.name.contains("EXAMPLE") })

        let configuration = try Configuration(environment: [
            "ENRICHER_EXAMPLE_URL": "https://mirror.example.org/api/", "ENRICHER_EXAMPLE_TOKEN": " token-1234 ",
        ], providers: [Self.example])
        let values = Dictionary(uniqueKeysWithValues: configuration.providers.values.map { ($0.key.name, $0.value) })
        #expect(values == ["ENRICHER_EXAMPLE_URL": "https://mirror.example.org/api", "ENRICHER_EXAMPLE_TOKEN": "token-1234",
                           "ENRICHER_EXAMPLE_SIZE": "small"])
        let own = try #require(configuration.resilience.rates["example"])
        #expect(own.count == 2 && own.period == .seconds(1) && own.burst == 3)
        let images = try #require(configuration.resilience.rates["example-images"])
        #expect(images.count == 10 && images.period == .seconds(60) && images.burst == 1)
        #expect(configuration.resilience.dailyQuotas["example"] == nil, "0 is no quota")
        let shown = Dictionary(uniqueKeysWithValues: configuration.effective.map { ($0.key, $0.value) })
        #expect(shown["ENRICHER_EXAMPLE_TOKEN"] == "<redacted>")
        #expect(Set(shown.keys) == Set(names))

        for (key, value, reason) in [("ENRICHER_EXAMPLE_URL", "ftp://example.org", "'ftp://example.org' is not an http or https URL"),
                                     ("ENRICHER_EXAMPLE_URL", " ", "must not be empty"),
                                     ("ENRICHER_EXAMPLE_SIZE", "huge", "must be small or large"),
                                     ("ENRICHER_EXAMPLE_RATE", "fast", "is not count/period"),
                                     ("ENRICHER_EXAMPLE_BURST", "0", "0 is outside 1...10000"),
                                     ("ENRICHER_EXAMPLE_DAILY_QUOTA", "-1", "-1 is outside")] {
            do {
                _ = try Configuration(environment: [key: value], providers: [Self.example])
                Issue.record("accepted \(key)=\(value)")
            } catch {
                #expect(error.description.hasPrefix("configuration \(key): ") && error.description.contains(reason), "\(error)")
            }
        }

        let url = FileManager.default.temporaryDirectory.appendingPathComponent("enricher-\(UUID()).json")
        defer { try? FileManager.default.removeItem(at: url) }
        try Data(#"{"ENRICHER_EXAMPLE_TOKEN": "from-file"}"#.utf8).write(to: url)
        let fromFile = try Configuration(environment: ["ENRICHER_CONFIG_FILE": url.path], providers: [Self.example])
        #expect(fromFile.providers.values[ConfigurationKey("ENRICHER_EXAMPLE_TOKEN", nil, "")] == "from-file")
        #expect(throws: ConfigurationError.file(path: url.path, reason: "unknown setting ENRICHER_EXAMPLE_TOKEN")) {
            try Configuration(environment: ["ENRICHER_CONFIG_FILE": url.path], providers: [])
        }
    }
}
