import EnricherCore
import Enrichment
import Foundation
import MongoDB
import Testing

/// The `enricher` binary as an operator runs it.
@Suite("Command line")
struct CommandLineTests {
    /// The binary SwiftPM built next to this test bundle.
    /// The service's binary: the debug build beside the test bundle, or `ENRICHER_TEST_BINARY` (the
    /// benchmarks kept in the bundle run a release build).
    static var binary: URL {
        if let path = ProcessInfo.processInfo.environment["ENRICHER_TEST_BINARY"], !path.isEmpty {
            return URL(fileURLWithPath: path)
        }
        return URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("enricher")
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
        (["serve"], ["ENRICHER_API_KEYS": "a-key-of-sixteen-chars", "ENRICHER_LOG_FORMAT": "yaml"], "ENRICHER_LOG_FORMAT"),
        (["serve"], ["ENRICHER_API_KEYS": "a-key-of-sixteen-chars", "ENRICHER_SCAN_SCHEDULE": "*/30 * * * *"], "ENRICHER_SCAN_SCHEDULE"),
        (["scan", "--dry-run"], ["ENRICHER_SCAN_SCHEDULE": "*/15 * * * *"], "ENRICHER_SCAN_SCHEDULE"),
        (["config", "check"], ["ENRICHER_API_KEYS": "a-key-of-sixteen-chars", "ENRICHER_CALLBACK_SECRET": "not-a-whsec"], "ENRICHER_CALLBACK_SECRET"),
        (["config", "check"], ["ENRICHER_API_KEYS": "a-key-of-sixteen-chars", "ENRICHER_CALLBACK_URL": "https://catalog.example/hooks"], "ENRICHER_CALLBACK_SECRET"),
    ])
    func invalidSetting(arguments: [String], environment: [String: String], key: String) throws {
        let result = try Self.run(arguments, environment: environment)
        #expect(result.status == 2, "\(result.output)")
        #expect(result.output.contains("enricher: configuration \(key):"), "\(result.output)")
    }

    @Test("scan --dry-run prints the split a scan would use and changes nothing")
    func scanDryRun() async throws {
        try await TestDatabase.with("dryrun") { try await dryRunScenario($0) }
    }

    private func dryRunScenario(_ database: MongoDatabase) async throws {
        let entities = EntityRepository(database: database)
        try await entities.ensureIndexes()
        for (mediaType, count) in [(MediaType.books, 30), (.movies, 2), (.games, 9), (.musics, 9)] {
            for index in 0..<count { _ = try await entities.upsert(EntityKey(mediaType: mediaType, id: "e\(index)"), EntityDraft(title: "T\(index)")) }
        }
        let environment = ["MONGODB_URI": try TestDatabase.uri(), "ENRICHER_DATABASE": database.name, "ENRICHER_SCAN_BATCH_SIZE": "21"]
        let result = try Self.run(["scan", "--dry-run", "--json"], environment: environment)
        try #require(result.status == 0, "\(result.output)")
        let start = try #require(result.output.firstIndex(of: "{"), "\(result.output)")
        let plan = try #require(try JSONSerialization.jsonObject(with: Data(result.output[start...].utf8)) as? [String: Any])
        #expect(plan["dryRun"] as? Bool == true)
        #expect(plan["pending"] as? [String: Int] == ["books": 30, "movies": 2, "games": 9, "musics": 9], "\(plan)")
        // 21 over four types: movies uses its 2; 19 left over three: 6 each, the one over to books.
        #expect(plan["allocation"] as? [String: Int] == ["books": 7, "movies": 2, "games": 6, "musics": 6], "\(plan)")
        #expect(plan["total"] as? Int == 21)
        let table = try Self.run(["scan", "--dry-run"], environment: environment)
        #expect(table.status == 0 && table.output.contains("Dry run: nothing was changed."), "\(table.output)")
        // Nothing was queued or recorded.
        #expect(try await database.collection("enrichment_tasks").countDocuments() == 0)
        #expect(try await database.collection("scans").countDocuments() == 0)
        let refused = try Self.run(["scan"], environment: environment)
        #expect(refused.status != 0 && refused.output.contains("only --dry-run"), "\(refused.output)")
    }

    @Test("enrich --filter counts with --dry-run, stores a re-run job for the service to expand, and refuses a bad filter naming the field")
    func enrichByFilter() async throws {
        try await TestDatabase.with("enrich") { database in
            let entities = EntityRepository(database: database)
            try await entities.ensureIndexes()
            for index in 0..<5 { _ = try await entities.upsert(EntityKey(mediaType: .games, id: "g\(index)"), EntityDraft(title: "G\(index)")) }
            for index in 0..<3 { _ = try await entities.upsert(EntityKey(mediaType: .books, id: "b\(index)"), EntityDraft(title: "B\(index)")) }
            let environment = ["MONGODB_URI": try TestDatabase.uri(), "ENRICHER_DATABASE": database.name]
            let counted = try Self.run(["enrich", "--filter", "mediaTypes=games", "--filter", "statuses=missing", "--dry-run", "--json"],
                                       environment: environment)
            try #require(counted.status == 0, "\(counted.output)")
            let start = try #require(counted.output.firstIndex(of: "{"), "\(counted.output)")
            let answer = try #require(try JSONSerialization.jsonObject(with: Data(counted.output[start...].utf8)) as? [String: Any])
            #expect(answer["dryRun"] as? Bool == true && answer["matched"] as? Int == 5, "\(answer)")
            #expect(try await database.collection(JobStore.jobsCollection).countDocuments() == 0, "a dry run stored a job")

            let started = try Self.run(["enrich", "--filter", "mediaTypes=games,books"], environment: environment)
            #expect(started.status == 0 && started.output.contains("over 8 entities"), "\(started.output)")
            let jobs = try await database.collection(JobStore.jobsCollection).find([:])
            #expect(jobs.count == 1 && (jobs.first?["expansion"]?.documentValue?["matched"]?.int64Value) == 8, "\(jobs)")

            for (arguments, words) in [
                (["enrich", "--filter", "mediaTypes=vinyl"], "mediaTypes/0: must be a media type"),
                (["enrich", "--filter", "provider"], "provider: must be name=value"),
                // An empty value (an empty shell variable) names nothing: not "any", which would re-run everything.
                (["enrich", "--filter", "mediaTypes="], "mediaTypes: must be an array of 1 to 16"),
                (["enrich", "--filter", "lookedUpBefore=yesterday"], "lookedUpBefore: must be an RFC 3339 date-time"),
                (["enrich", "--filter", "statuses=found"], "matches no entity"),
            ] {
                let refused = try Self.run(arguments, environment: environment)
                #expect(refused.status != 0 && refused.output.contains(words), "\(arguments): \(refused.output)")
            }
        }
    }
}
