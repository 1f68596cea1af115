import EnricherCore
@testable import Enrichment
import Foundation
import Logging
import MongoDB
import Resilience
import Testing

/// What an operator must hear about a provider (breaker changes, pauses, a used-up quota, long waits for
/// the rate budget) is logged at notice once per occurrence, not once per lookup that ran into it.
@Suite("Operator notices", .serialized)
struct OperatorNoticeTests {
    static func notices(_ logs: CapturedLogs, containing text: String) -> [CapturedLogs.Line] {
        logs.all.filter { $0.level == .notice && $0.message.contains(text) }
    }

    @Test("a breaker opening logs one notice however many lookups fail at once; half-open and closed one each")
    func breakerTransitions() async throws {
        try await ProviderGuardTests.withFake(.openLibrary) { fake, database in
            fake.scenario = .serverError
            let logs = CapturedLogs()
            let guardian = ProviderGuardTests.guardian(database, minimumCalls: 4, wait: .seconds(1), logger: logs.logger)
            let registry = ProviderGuardTests.registry(fake, guardian)
            await withTaskGroup(of: Void.self) { group in
                for _ in 0..<12 { group.addTask { _ = await ProviderGuardTests.lookUp(registry) } }
            }
            for _ in 0..<5 { _ = await ProviderGuardTests.lookUp(registry) }
            #expect(await guardian.status().breaker.state == .open)
            let opened = Self.notices(logs, containing: "circuit breaker opened")
            #expect(opened.count == 1, "\(logs.all.map(\.message))")
            #expect(opened.first?.metadata["provider"] == "openlibrary")
            #expect(opened.first?.metadata["failureRate"] == "100 %")
            #expect(opened.first?.metadata["from"] == "closed")

            fake.scenario = .hit
            try await waitUntil(deadline: .seconds(5), interval: .milliseconds(50)) { await guardian.status().nextProbeIn == .zero }
            #expect(await ProviderGuardTests.lookUp(registry) == nil)
            #expect(await guardian.status().breaker.state == .closed)
            let changes = logs.all.filter { $0.message.hasPrefix("circuit breaker") }
            #expect(changes.map(\.level) == [.notice, .notice, .notice])
            #expect(changes.map { $0.message.components(separatedBy: ":")[0] }
                    == ["circuit breaker opened", "circuit breaker half-open", "circuit breaker closed"])
        }
    }

    @Test("a throttle pause logs one notice when it starts, not one per request that ran into it")
    func pauseOnce() async throws {
        try await TestDatabase.with("notice") { database in
            let logs = CapturedLogs()
            let budget = ProviderGuardTests.budget(database, .musicBrainz, logger: logs.logger)
            await withTaskGroup(of: Void.self) { group in
                for _ in 0..<6 { group.addTask { await budget.pause(for: .seconds(30)) } }
            }
            let paused = Self.notices(logs, containing: "paused at its request")
            #expect(paused.count == 1, "\(logs.all.map(\.message))")
            #expect(paused.first?.metadata["provider"] == "musicbrainz")
            #expect(paused.first?.metadata["seconds"] == "30")
        }
    }

    @Test("a used-up daily quota logs one notice, however many lookups it refuses")
    func quotaOnce() async throws {
        try await TestDatabase.with("notice") { database in
            try await FakeProvider.with(.upcItemDB) { fake in
                fake.scenario = .hit
                let logs = CapturedLogs()
                let guardian = ProviderGuard(id: .upcItemDB, settings: .init(
                    breaker: .init(), retry: .init(maxAttempts: 1), defaultPause: .seconds(5), maxInFlight: 8),
                    budget: ProviderGuardTests.budget(database, .upcItemDB, logger: logs.logger),
                    quota: QuotaLedger(database: database, provider: .upcItemDB, limit: 1), logger: logs.logger)
                let registry = ProviderRegistry(settings: fake.settings, fetcher: LoopbackHTTP.shared, logger: .quiet, guards: [.upcItemDB: guardian])
                let provider = try #require(registry.enabled[.upcItemDB])
                func lookUp(_ index: Int) async throws {
                    _ = try await registry.lookUp(.upcItemDB, provider, query: LookupQuery(mediaType: .movies, barcode: Identifiers.upcA(100 + index)),
                                                  context: registry.makeContext())
                }
                try await lookUp(0)
                let failures = await withTaskGroup(of: String.self) { group in
                    for index in 1..<7 {
                        group.addTask {
                            do {
                                try await lookUp(index)
                                return "found"
                            } catch {
                                return "\(error)"
                            }
                        }
                    }
                    return await group.reduce(into: []) { $0.append($1) }
                }
                #expect(fake.requests(to: .upcItemDB).count == 1, "\(failures)")
                let used = Self.notices(logs, containing: "daily quota used up")
                #expect(used.count == 1, "\(logs.all.map(\.message))")
                #expect(used.first?.metadata["provider"] == "upcitemdb")
                #expect(used.first?.metadata["quota"] == "1")
                #expect(Self.notices(logs, containing: "paused at its request").isEmpty, "the quota's pause is not a throttle")
            }
        }
    }

    @Test("waits over a second for the rate budget log one notice per occurrence, not one per waiting request")
    func longWaitOnce() async throws {
        try await TestDatabase.with("notice") { database in
            let logs = CapturedLogs()
            let budget = ProviderGuardTests.budget(database, .tmdb, .init(rate: .perSecond(2)), logger: logs.logger)
            // Slots 0.5 s apart: the fourth and fifth wait 1.5 and 2 s.
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<5 { group.addTask { try await budget.take() } }
                try await group.waitForAll()
            }
            #expect(Self.notices(logs, containing: "wait over a second").count == 1, "\(logs.all.map(\.message))")
            // The backlog goes on (another request waits over a second right away): the same occurrence.
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<4 { group.addTask { try await budget.take() } }
                try await group.waitForAll()
            }
            let waits = Self.notices(logs, containing: "wait over a second")
            #expect(waits.count == 1, "\(logs.all.map(\.message))")
            #expect(waits.first?.metadata["provider"] == "tmdb")
        }
    }
}
