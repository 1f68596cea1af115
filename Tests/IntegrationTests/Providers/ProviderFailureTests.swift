import EnricherCore
import Enrichment
import Foundation
import Testing

/// Every provider against its fake over loopback HTTP: the same classes of failure, each with the
/// provider's own statuses (the fakes know them).
@Suite("Providers: shared failure classes")
struct ProviderFailureTests {
    @Test("a hit gives candidates the image host serves", arguments: ProviderCase.all)
    func hit(_ provider: ProviderCase) async throws {
        try await FakeProvider.with(provider.kind) { fake in
            let candidates = try await provider.lookup(fake)
            #expect(!candidates.isEmpty)
            // The retailer images of UPCitemdb are on hosts the fake stands in for too.
            let image = try await fetchImage(try #require(candidates.first).url)
            #expect(image.status == 200)
            #expect(image.body == Array(FakeProvider.onePixelGIF))
        }
    }

    @Test("a miss is not found", arguments: ProviderCase.all)
    func miss(_ provider: ProviderCase) async throws {
        try await FakeProvider.with(provider.kind) { fake in
            fake.scenario = .miss
            #expect(await providerFailure { () async throws(ProviderFailure) in try await provider.lookup(fake) } == .notFound)
        }
    }

    @Test("the provider's throttle status is a throttle with its Retry-After", arguments: ProviderCase.all)
    func throttle(_ provider: ProviderCase) async throws {
        try await FakeProvider.with(provider.kind) { fake in
            fake.scenario = .throttle(retryAfter: "2")
            #expect(await providerFailure { () async throws(ProviderFailure) in try await provider.lookup(fake) } == .throttled(retryAfter: .seconds(2)))
        }
    }

    @Test("a 5xx that is not a throttle is transient", arguments: ProviderCase.all)
    func serverError(_ provider: ProviderCase) async throws {
        try await FakeProvider.with(provider.kind) { fake in
            fake.scenario = .serverError
            let status = fake.kind.spec(Self.firstService(provider.kind)).serverErrorStatus
            #expect(await providerFailure { () async throws(ProviderFailure) in try await provider.lookup(fake) } == .transient("HTTP \(status)"))
        }
    }

    @Test("a slow answer times out as transient", arguments: ProviderCase.all)
    func timeout(_ provider: ProviderCase) async throws {
        try await FakeProvider.with(provider.kind) { fake in
            fake.scenario = .slow(.seconds(5))
            let started = ContinuousClock.now
            let result = await providerFailure { () async throws(ProviderFailure) in
                try await provider.lookup(fake, fetcher: LoopbackHTTP.impatient)
            }
            #expect(result == .transient("timeout"))
            let elapsed = ContinuousClock.now - started
            #expect(elapsed >= .milliseconds(250) && elapsed < .seconds(4), "took \(elapsed)")
            // The fake received the request: the time ran out waiting for its answer.
            try await fake.waitForRequests(1, deadline: .seconds(5))
            #expect(fake.requests.count == 1)
        }
    }

    @Test("malformed JSON is transient", arguments: ProviderCase.all)
    func malformed(_ provider: ProviderCase) async throws {
        try await FakeProvider.with(provider.kind) { fake in
            fake.scenario = .malformedJSON
            let result = await providerFailure { () async throws(ProviderFailure) in try await provider.lookup(fake) }
            guard case .transient(let detail) = result else {
                Issue.record("expected a transient failure, got \(String(describing: result))")
                return
            }
            #expect(detail.hasPrefix("malformed JSON: "))
        }
    }

    @Test("a dead image is still a candidate; its download answers 404", arguments: ProviderCase.all)
    func deadImage(_ provider: ProviderCase) async throws {
        try await FakeProvider.with(provider.kind) { fake in
            fake.scenario = .hitWithDeadImage
            let candidates = try await provider.lookup(fake)
            #expect(try await fetchImage(try #require(candidates.first).url).status == 404)
        }
    }

    @Test("Retry-After as an HTTP date is the delay until then")
    func retryAfterDate() async throws {
        let provider = try #require(ProviderCase.all.first { $0.kind == .tmdb })
        try await FakeProvider.with(.tmdb) { fake in
            let formatter = DateFormatter()
            formatter.locale = Locale(identifier: "en_US_POSIX")
            formatter.timeZone = TimeZone(identifier: "GMT")
            formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
            fake.scenario = .throttle(retryAfter: formatter.string(from: Date().addingTimeInterval(30)))
            let result = await providerFailure { () async throws(ProviderFailure) in try await provider.lookup(fake) }
            guard case .throttled(let retryAfter?) = result else {
                Issue.record("expected a throttle with a delay, got \(String(describing: result))")
                return
            }
            #expect(retryAfter >= .seconds(28) && retryAfter <= .seconds(31))

            fake.scenario = .throttle(retryAfter: formatter.string(from: Date().addingTimeInterval(-300)))
            #expect(await providerFailure { () async throws(ProviderFailure) in try await provider.lookup(fake) } == .throttled(retryAfter: .zero))
        }
    }

    /// The service the provider asks first (IGDB asks Twitch for a token before anything else).
    static func firstService(_ kind: FakeProvider.Kind) -> FakeService {
        switch kind {
        case .openLibrary: .openLibrary
        case .googleBooks: .googleBooks
        case .upcItemDB: .upcItemDB
        case .tmdb: .tmdb
        case .giantBomb: .giantBomb
        case .igdb: .twitch
        case .musicBrainz: .musicBrainz
        }
    }
}
