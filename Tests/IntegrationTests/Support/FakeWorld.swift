import EnricherCore
import Enrichment
import Foundation
import Images

/// All seven fake providers at once, each serving a valid cover for every image it points at, and
/// the service settings that point Enricher at them (with 127.0.0.1 allow-listed and nothing else).
struct FakeWorld: Sendable {
    let fakes: [FakeProvider.Kind: FakeProvider]

    subscript(kind: FakeProvider.Kind) -> FakeProvider { fakes[kind]! }

    /// Every request any fake received.
    var requestCount: Int { fakes.values.reduce(0) { $0 + $1.requests.count } }

    static func with<T>(_ body: (FakeWorld) async throws -> T) async throws -> T {
        var fakes: [FakeProvider.Kind: FakeProvider] = [:]
        func stopAll() async { for fake in fakes.values { await fake.stop() } }
        do {
            for (index, kind) in FakeProvider.Kind.allCases.enumerated() {
                let fake = try await FakeProvider.start(kind)
                fakes[kind] = fake
                // Each provider's covers differ in size, so tests can tell whose cover was stored.
                fake.setDefaultImage(Data(try TestImages.encode(.gradient, width: 300 + 10 * index, height: 450, as: .jpeg)))
            }
            let result = try await body(FakeWorld(fakes: fakes))
            await stopAll()
            return result
        } catch {
            await stopAll()
            throw error
        }
    }

    /// Provider settings pointing at the fakes, with the credentials they accept.
    var providerSettings: ProviderSettings {
        var settings = ProviderSettings()
        for fake in fakes.values { fake.configure(&settings) }
        return settings
    }

    /// Service settings: the fakes, loopback 127.0.0.1 allowed, quick polling and leases.
    var environment: [String: String] {
        let settings = providerSettings
        var environment: [String: String] = [
            ConfigurationKey.outboundAllow.name: "127.0.0.1/32",
            ConfigurationKey.contact.name: "tests@example.org",
            ConfigurationKey.pollMilliseconds.name: "50",
            ConfigurationKey.providerTimeout.name: "5",
            ConfigurationKey.imageTimeout.name: "5",
        ]
        for key in ProviderCatalog.all.keys.flatMap(\.settingKeys) where !settings[key].isEmpty {
            environment[key.name] = settings[key]
        }
        // The fakes take any pace; tests of the limits set their own.
        for budget in ProviderCatalog.all.keys.flatMap(\.budgets) { environment[budget.rate.name] = "1000/s" }
        return environment
    }
}

extension TestService {
    /// Creates entities (`[mediaType, id, fields]`) and starts a job over them; returns the job id.
    func enrich(_ entities: [(MediaType, String, [String: Any])], force: Bool = false) async throws -> String {
        for (mediaType, id, fields) in entities {
            let response = try await client.put("/v1/entities/\(mediaType.rawValue)/\(id)", fields)
            guard response.status == 201 || response.status == 200 else { throw TestFailure("PUT \(id): \(response.status) \(response.text)") }
        }
        let items = entities.map { ["mediaType": $0.0.rawValue, "id": $0.1] }
        let response = try await client.post("/v1/enrichments", ["entities": items, "force": force])
        guard response.status == 202, let id = try response.json["id"] as? String else {
            throw TestFailure("POST /v1/enrichments: \(response.status) \(response.text)")
        }
        return id
    }

    /// Waits for a job to complete and returns it as the API shows it. (Each read counts the job's tasks:
    /// poll a large job less often, or the reads crowd out the work on the test's database server.)
    func waitForJob(_ id: String, deadline: Duration = .seconds(60), interval: Duration = .milliseconds(5)) async throws -> [String: Any] {
        let client = self.client
        try await waitUntil(deadline: deadline, interval: interval) {
            try await client.get("/v1/enrichments/\(id)").json["status"] as? String == "completed"
        }
        return try await client.get("/v1/enrichments/\(id)?limit=500").json
    }

    /// An entity as the API shows it.
    func entity(_ mediaType: MediaType, _ id: String) async throws -> [String: Any] {
        try await client.get("/v1/entities/\(mediaType.rawValue)/\(id)").json
    }
}
