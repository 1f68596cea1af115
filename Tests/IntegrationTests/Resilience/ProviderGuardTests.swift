import EnricherCore
@testable import Enrichment
import Foundation
import Logging
import MongoDB
import Resilience
import Testing

/// Each provider's rate limit and circuit breaker, measured where it matters: at the fake provider.
@Suite("Provider rate limits and circuit breakers", .serialized)
struct ProviderGuardTests {
    static let book = LookupQuery(mediaType: .books, isbn: "9780980200447")

    static func guardian(_ database: MongoDatabase, rate: RateLimiter.Configuration = .init(rate: .perSecond(1000)), minimumCalls: Int = 10,
                         wait: Duration = .seconds(30), retries: Int = 1, maxInFlight: Int = 8, logger: Logger = .quiet) -> ProviderGuard {
        ProviderGuard(id: .openLibrary, settings: .init(
            breaker: .init(slidingWindowSize: minimumCalls, minimumCalls: minimumCalls, waitDuration: wait, permittedCallsInHalfOpen: 1),
            retry: .init(maxAttempts: retries, base: .milliseconds(10), cap: .milliseconds(50)),
            defaultPause: .seconds(5), maxInFlight: maxInFlight), budget: budget(database, .openLibrary, rate), logger: logger)
    }

    static func budget(_ database: MongoDatabase, _ id: ProviderID, _ rate: RateLimiter.Configuration = .init(rate: .perSecond(1000)),
                       logger: Logger = .quiet) -> ProviderBudget {
        ProviderBudget(name: id.rawValue, egress: "test", configuration: rate, database: database, logger: logger)
    }

    /// A fake provider and a database of its own for the guard's budget.
    static func withFake(_ kind: FakeProvider.Kind, _ body: (FakeProvider, MongoDatabase) async throws -> Void) async throws {
        try await TestDatabase.with("guard") { database in
            try await FakeProvider.with(kind) { fake in try await body(fake, database) }
        }
    }

    static func registry(_ fake: FakeProvider, _ guardian: ProviderGuard, budget: Duration = .seconds(5)) -> ProviderRegistry {
        ProviderRegistry(settings: fake.settings, fetcher: LoopbackHTTP.shared, logger: .quiet, guards: [.openLibrary: guardian], callBudget: budget)
    }

    static func lookUp(_ registry: ProviderRegistry) async -> ProviderFailure? {
        do {
            _ = try await registry.lookUp(.openLibrary, registry.enabled[.openLibrary]!, query: book, context: registry.makeContext())
            return nil
        } catch {
            return error
        }
    }

    @Test("a provider failing every call opens its breaker after minimumCalls, gets no call while open, then probes and closes")
    func breakerOpensAndCloses() async throws {
        try await Self.withFake(.openLibrary) { fake, database in
            fake.scenario = .serverError
            let guardian = Self.guardian(database, minimumCalls: 4, wait: .seconds(1))
            let registry = Self.registry(fake, guardian)
            for _ in 0..<4 {
                let failure = await Self.lookUp(registry)
                guard case .transient? = failure else { Issue.record("expected a transient failure, got \(String(describing: failure))"); return }
            }
            #expect(fake.requests(to: .openLibrary).count == 4)
            #expect(await guardian.status().breaker.state == .open)
            // Open: the provider is skipped, and sees nothing.
            for _ in 0..<5 {
                let failure = await Self.lookUp(registry)
                guard case .circuitOpen? = failure else { Issue.record("expected circuitOpen, got \(String(describing: failure))"); return }
            }
            #expect(fake.requests(to: .openLibrary).count == 4, "calls while open: \(fake.requests(to: .openLibrary).count - 4)")
            // Healthy again; after the wait one probe goes through, succeeds, and closes the breaker.
            fake.scenario = .hit
            try await waitUntil(deadline: .seconds(5), interval: .milliseconds(50)) { await guardian.status().nextProbeIn == .zero }
            #expect(await Self.lookUp(registry) == nil)
            #expect(await guardian.status().breaker.state == .closed)
            #expect(fake.requests(to: .openLibrary).count == 5)
        }
    }

    @Test("not-found answers and throttles never open the breaker")
    func notFoundIsHealthy() async throws {
        try await Self.withFake(.openLibrary) { fake, database in
            let guardian = Self.guardian(database, minimumCalls: 4)
            let registry = Self.registry(fake, guardian)
            fake.scenario = .miss
            for _ in 0..<6 { _ = await Self.lookUp(registry) }
            fake.scenario = .throttle(retryAfter: "0")
            for _ in 0..<6 { _ = await Self.lookUp(registry) }
            #expect(fake.requests(to: .openLibrary).count >= 12, "every lookup reached the fake")
            #expect(await guardian.status().breaker.state == .closed)
            #expect(await guardian.status().breaker.failureRate == 0)
        }
    }

    @Test("a 503 with Retry-After: 2 gets no call for 2 s")
    func retryAfterHonoured() async throws {
        try await Self.withFake(.musicBrainz) { fake, database in
            fake.scenario = .throttle(retryAfter: "2")
            let guardian = ProviderGuard(id: .musicBrainz, settings: .init(
                breaker: .init(), retry: .init(maxAttempts: 1), defaultPause: .seconds(5), maxInFlight: 8),
                budget: Self.budget(database, .musicBrainz), logger: .quiet)
            let registry = ProviderRegistry(settings: fake.settings, fetcher: LoopbackHTTP.shared, logger: .quiet,
                                            guards: [.musicBrainz: guardian], callBudget: .seconds(10))
            let provider = try #require(registry.enabled[.musicBrainz])
            let query = LookupQuery(mediaType: .musics, barcode: "0693723650725")
            await #expect(throws: ProviderFailure.throttled(retryAfter: .seconds(2))) {
                try await registry.lookUp(.musicBrainz, provider, query: query, context: registry.makeContext())
            }
            let throttledAt = try #require(fake.requests.last?.time)
            let paused = try #require(await guardian.status().pausedFor)
            #expect(paused > .seconds(1.5) && paused <= .seconds(2), "paused for \(paused)")
            // The next lookup waits out the pause, then gets its answer.
            fake.scenario = .hit
            _ = try await registry.lookUp(.musicBrainz, provider, query: query, context: registry.makeContext())
            let next = try #require(fake.requests.first { $0.time > throttledAt }?.time)
            #expect(throttledAt.duration(to: next) >= .seconds(2), "the next call came \(throttledAt.duration(to: next)) after the 503")
        }
    }

    @Test("120 lookups limited to 20/s with burst 1 never exceed 20 in any second and take at least 5.9 s")
    func rateLimitHeld() async throws {
        try await Self.withFake(.openLibrary) { fake, database in
            fake.scenario = .miss
            let guardian = Self.guardian(database, rate: .init(rate: .perSecond(20), burst: 1, margin: .milliseconds(10)))
            let registry = Self.registry(fake, guardian, budget: .seconds(30))
            await withTaskGroup(of: Void.self) { group in
                for _ in 0..<120 { group.addTask { _ = await Self.lookUp(registry) } }
            }
            let times = fake.requests(to: .openLibrary).map(\.time).sorted()
            #expect(times.count == 120)
            var busiest = 0
            for (index, start) in times.enumerated() {
                let inWindow = times[index...].prefix { start.duration(to: $0) < .seconds(1) }.count
                busiest = max(busiest, inWindow)
            }
            #expect(busiest <= 20, "\(busiest) calls in one second")
            let span = times.first!.duration(to: times.last!)
            #expect(span >= .seconds(5.9), "120 calls took \(span)")
        }
    }

    @Test("a provider never has more requests in flight than its cap, and the cap is used")
    func inFlightCap() async throws {
        try await Self.withFake(.openLibrary) { fake, database in
            fake.scenario = .slow(.milliseconds(300))
            let registry = Self.registry(fake, Self.guardian(database, maxInFlight: 2), budget: .seconds(20))
            await withTaskGroup(of: Void.self) { group in
                for _ in 0..<8 { group.addTask { _ = await Self.lookUp(registry) } }
            }
            #expect(fake.requests(to: .openLibrary).count >= 8)
            #expect(fake.peakInFlight == 2, "at most \(fake.peakInFlight) requests were in flight at once")
        }
    }

    @Test("a transient failure is retried with backoff up to the attempts allowed; a not-found is not retried")
    func retries() async throws {
        try await Self.withFake(.openLibrary) { fake, database in
            fake.scenario = .serverError
            let registry = Self.registry(fake, Self.guardian(database, retries: 3))
            let failure = await Self.lookUp(registry)
            guard case .transient? = failure else { Issue.record("expected a transient failure, got \(String(describing: failure))"); return }
            let times = fake.requests(to: .openLibrary).map(\.time)
            #expect(times.count == 3, "attempts: \(times.count)")
            // Full jitter under a 10 ms base and a 50 ms cap: each wait is short, never longer than the cap
            // (plus the exchange itself).
            for (earlier, later) in zip(times, times.dropFirst()) {
                #expect(earlier.duration(to: later) < .milliseconds(500), "\(earlier.duration(to: later)) between attempts")
            }
            fake.scenario = .miss
            _ = await Self.lookUp(registry)
            #expect(fake.requests(to: .openLibrary).count == 4, "a not-found answer is final")
        }
    }

    @Test("a daily quota stops calls once used up, and a restart keeps the day's count")
    func dailyQuota() async throws {
        try await TestDatabase.with("quota") { try await quotaScenario($0) }
    }

    private func quotaScenario(_ database: MongoDatabase) async throws {
        try await FakeProvider.with(.upcItemDB) { fake in
            fake.scenario = .hit
            func registry() -> ProviderRegistry {
                let guardian = ProviderGuard(id: .upcItemDB, settings: .init(
                    breaker: .init(), retry: .init(maxAttempts: 1), defaultPause: .seconds(5), maxInFlight: 8),
                    budget: Self.budget(database, .upcItemDB), quota: QuotaLedger(database: database, provider: .upcItemDB, limit: 3), logger: .quiet)
                return ProviderRegistry(settings: fake.settings, fetcher: LoopbackHTTP.shared, logger: .quiet, guards: [.upcItemDB: guardian])
            }
            func lookUp(_ registry: ProviderRegistry) async -> ProviderFailure? {
                do {
                    _ = try await registry.lookUp(.upcItemDB, registry.enabled[.upcItemDB]!,
                                                  query: LookupQuery(mediaType: .movies, barcode: "9780441018697"), context: registry.makeContext())
                    return nil
                } catch {
                    return error
                }
            }
            let first = registry()
            for _ in 0..<3 { #expect(await lookUp(first) == nil) }
            let refused = await lookUp(first)
            guard case .throttled(let wait?)? = refused else { Issue.record("expected a throttle, got \(String(describing: refused))"); return }
            #expect(wait <= .seconds(86_400), "retry after \(wait): at the next UTC midnight")
            #expect(fake.requests(to: .upcItemDB).count == 3)
            // A new process (a new registry over the same database) still finds today's quota used.
            let restarted = registry()
            guard case .throttled? = await lookUp(restarted) else { Issue.record("the restart forgot the day's count"); return }
            #expect(fake.requests(to: .upcItemDB).count == 3)
            let used = try await QuotaLedger(database: database, provider: .upcItemDB, limit: 3).used()
            #expect(used == 3)
        }
    }
}
