import SeededRandom
import EnricherCore
import Foundation
import Logging
import Outbound
import Testing
@testable import Enrichment

/// Every provider's parsing, fed what a broken or hostile provider might send: random statuses and
/// headers, the real answers mutated (numbers made extreme, values of the wrong type, keys dropped,
/// bodies cut short) or replaced by noise. Whatever arrives, a lookup ends in candidates or in a
/// classified `ProviderFailure`, with any wait it states within a day, and never traps. Seeded:
/// a failure prints its seed; `ENRICHER_PROPERTY_SEED` replays it.
@Suite("Provider parsing properties")
struct ProviderParsingPropertyTests {
    static let iterations = 300
    static let quiet = Logger(label: "property-tests") { _ in SwiftLogNoOpLogHandler() }

    static var settings: ProviderSettings {
        var settings = ProviderSettings()
        settings[.googleBooksKey] = "key"
        settings[.tmdbToken] = "token"
        settings[.giantBombKey] = "key"
        settings[.igdbClientID] = "client"
        settings[.igdbClientSecret] = "secret"
        return settings
    }

    /// Queries each provider can work on: with a title or identifier of its own, and (for the
    /// title-search providers) with a barcode only, so the product lookup runs too.
    static let queries: [ProviderID: [LookupQuery]] = [
        .openLibrary: [LookupQuery(mediaType: .books, isbn: ProviderAnswers.isbn), LookupQuery(mediaType: .books, title: "Slow reading", authors: ["John Miedema"])],
        .googleBooks: [LookupQuery(mediaType: .books, isbn: "9781429952040"), LookupQuery(mediaType: .books, title: "Dune", authors: ["Frank Herbert"])],
        .upcItemDB: [LookupQuery(mediaType: .books, isbn: "9780441018697"), LookupQuery(mediaType: .movies, barcode: "085391163926")],
        .tmdb: [LookupQuery(mediaType: .movies, title: "The Matrix", year: 1999), LookupQuery(mediaType: .movies, barcode: "085391163926")],
        .giantBomb: [LookupQuery(mediaType: .games, title: "Elden Ring"), LookupQuery(mediaType: .games, barcode: "722674120746")],
        .igdb: [LookupQuery(mediaType: .games, title: "The Witcher 3: Wild Hunt"), LookupQuery(mediaType: .games, barcode: "722674120746")],
        .musicBrainz: [LookupQuery(mediaType: .musics, barcode: "693723650725"), LookupQuery(mediaType: .musics, title: "Ágætis byrjun", artist: "Sigur Rós")],
    ]

    @Test("every provider's lookup ends classified whatever its API answers", arguments: ProviderCatalog.all.ids)
    func lookups(_ id: ProviderID) async throws {
        let descriptor = try #require(ProviderCatalog.all[id])
        let queries = try #require(Self.queries[id], "no queries for \(id)")
        let seed = PropertySeed.make("provider lookups: \(id.rawValue)")
        var generator = SplitMix64(seed: seed)
        let now = Date()
        var outcomes: [String: Int] = [:]
        for iteration in 0..<Self.iterations {
            // The first lookup gets the real answers untouched: parsing them must give candidates.
            let answers = RandomProviderAnswers(seed: generator.next(), now: now, pristine: iteration == 0)
            let provider = descriptor.make(settings: Self.settings, fetcher: answers, logger: Self.quiet)
            let upc = UPCItemDBProvider(settings: Self.settings, fetcher: answers, logger: Self.quiet)
            let context = LookupContext { barcode async throws(ProviderFailure) -> Product in try await upc.product(barcode: barcode) }
            let query = generator.pick(queries)
            let result: Result<[ImageCandidate], ProviderFailure>
            do throws(ProviderFailure) {
                result = .success(try await provider.candidates(for: query, context: context))
            } catch {
                result = .failure(error)
            }
            let problem = iteration == 0 && Self.kind(result) != "candidates"
                ? "the real answers gave no candidates: \(result)" : Self.problem(with: result, of: id)
            #expect(problem == nil, "seed \(seed), iteration \(iteration): \(problem ?? "")\n\(answers.log.joined(separator: "\n"))")
            if problem != nil { return }
            outcomes[Self.kind(result), default: 0] += 1
        }
        // The random answers must reach past the first status check, or the property says little.
        #expect(outcomes.count >= 3, "seed \(seed): too few kinds of outcome: \(outcomes)")
    }

    @Test("every header parser: an absent, clamped or bounded wait for any value")
    func headers() {
        let seed = PropertySeed.make("header parsers")
        var generator = SplitMix64(seed: seed)
        let now = Date()
        let upc = UPCItemDBProvider(settings: Self.settings, fetcher: RandomProviderAnswers(seed: 0, now: now), logger: Self.quiet)
        let http = ProviderHTTP(service: "x", fetcher: RandomProviderAnswers(seed: 0, now: now), throttleStatuses: [429, 503])
        for iteration in 0..<5000 {
            let value = Extremes.headerValue(now: now, using: &generator)
            let context = "seed \(seed), iteration \(iteration), value \(value.debugDescription)"
            let response = OutboundResponse(status: generator.pick([429, 503, 200, 403]),
                                            headers: [("Retry-After", value), ("X-RateLimit-Reset", value)], body: [], url: "http://x")
            for wait in [RetryAfter.parse(value, now: now), UPCItemDBProvider.rateLimitReset(response, now: now), ProviderHTTP.retryAfter(response, now: now)] {
                #expect(wait.map(Self.isSaneWait) ?? true, "\(context): \(String(describing: wait))")
            }
            if case .failure(.throttled(let wait?)) = http.classify(response, now: now) {
                #expect(Self.isSaneWait(wait), "\(context): \(wait)")
            }
            if let failure = GoogleBooksProvider.googleFailure(response), case .throttled(let wait?) = failure {
                #expect(Self.isSaneWait(wait), "\(context): \(wait)")
            }
            do throws(ProviderFailure) {
                _ = try upc.product(from: response, now: now)
            } catch {
                #expect(Self.problem(with: .failure(error), of: .upcItemDB) == nil, "\(context): \(error)")
            }
        }
    }

    static func isSaneWait(_ wait: Duration) -> Bool { wait >= .zero && wait <= .seconds(86_400) }

    static func kind(_ result: Result<[ImageCandidate], ProviderFailure>) -> String {
        switch result {
        case .success: "candidates"
        case .failure(.notFound): "not found"
        case .failure(.throttled): "throttled"
        case .failure(.transient): "transient"
        case .failure(.configuration): "configuration"
        case .failure(.circuitOpen): "circuit open"
        case .failure(.titleSourceUnavailable): "title source unavailable"
        case .failure(.interrupted): "interrupted"
        }
    }

    /// What breaks the providers' contract in `result`, or nil.
    static func problem(with result: Result<[ImageCandidate], ProviderFailure>, of id: ProviderID) -> String? {
        switch result {
        case .success(let candidates):
            if candidates.isEmpty { return "an empty list of candidates (nothing is .notFound)" }
            if let other = candidates.first(where: { $0.provider != id }) { return "a candidate of \(other.provider.rawValue)" }
            if candidates.contains(where: { $0.url.isEmpty }) { return "a candidate without a URL" }
            if candidates.contains(where: { ($0.width ?? 1) <= 0 || ($0.height ?? 1) <= 0 }) { return "a candidate with a size that is not one" }
            return nil
        case .failure(.throttled(let wait?)) where !isSaneWait(wait):
            return "a throttle asking for \(wait)"
        case .failure(.circuitOpen):
            return "circuitOpen without a breaker"
        case .failure(.interrupted):
            return "interrupted, though every answer arrived (only our own side's failures interrupt)"
        case .failure(.transient(let detail)), .failure(.configuration(let detail)), .failure(.titleSourceUnavailable(let detail)):
            return detail.isEmpty ? "a failure that does not say what happened" : nil
        case .failure(.notFound), .failure(.throttled):
            return nil
        }
    }
}
