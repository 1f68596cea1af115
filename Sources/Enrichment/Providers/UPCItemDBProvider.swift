import EnricherCore
import Foundation
import Logging
import Outbound

/// UPCitemdb: barcode (UPC, EAN, ISBN-13) -> retail product. It is the barcode database behind
/// `LookupContext` (the product title feeds TMDb, GiantBomb and IGDB), and its retailer images are
/// candidates of last resort.
public struct UPCItemDBProvider: CoverProvider {
    public let id = ProviderID.upcItemDB

    private let baseURL: String
    private let userKey: Secret?
    private let http: ProviderHTTP
    private let logger: Logger

    public init(settings: ProviderSettings, fetcher: any HTTPFetching, logger: Logger) {
        baseURL = settings.upcItemDBURL
        userKey = settings.upcItemDBUserKey.flatMap { $0.isEmpty ? nil : Secret($0) }
        var http = ProviderHTTP(service: "UPCitemdb", fetcher: fetcher, throttleStatuses: ProviderID.upcItemDB.throttleStatuses)
        if let userKey {
            http.headers += [("user_key", userKey.value), ("key_type", "3scale")]
        }
        self.http = http
        self.logger = logger.tagged(.upcItemDB)
    }

    public func candidates(for query: LookupQuery, context: LookupContext) async throws(ProviderFailure) -> [ImageCandidate] {
        guard let barcode = query.identifier else { throw .notFound }
        let product = try await context.product(barcode: barcode)
        var seen = Set<String>()
        let urls = product.imageURLs.filter { ($0.hasPrefix("https://") || $0.hasPrefix("http://")) && seen.insert($0).inserted }
        guard !urls.isEmpty else { throw .notFound }
        return urls.map { ImageCandidate(url: $0, provider: id) }
    }

    /// The product behind a barcode: `LookupContext`'s `productLookup`.
    public func product(barcode: String) async throws(ProviderFailure) -> Product {
        let path = userKey == nil ? "/prod/trial/lookup" : "/prod/v1/lookup"
        let response = try await http.exchange(OutboundRequest(url: ProviderURL.make(baseURL, path, query: [("upc", barcode)])))
        return try product(from: response)
    }

    /// What an answer of the lookup says: the product, or the classified failure. Pure: every header
    /// and field in it is the provider's word, read without trusting it.
    func product(from response: OutboundResponse, now: Date = Date()) throws(ProviderFailure) -> Product {
        switch response.status {
        case 429:
            throw .throttled(retryAfter: ProviderHTTP.retryAfter(response, now: now) ?? Self.rateLimitReset(response, now: now))
        case 400:
            // A code UPCitemdb cannot read (wrong length or check digit) has no product.
            let code = (try? JSONDecoder().decode(Envelope.self, from: Data(response.body)))?.code
            if code == "INVALID_UPC" { throw .notFound }
            throw .transient("HTTP 400" + (code.map { " \($0)" } ?? ""))
        default:
            break
        }
        let envelope = try ProviderHTTP.decode(Envelope.self, from: try http.classify(response, now: now).get())
        guard let item = envelope.items?.first else { throw .notFound }
        return Product(title: item.title ?? "", imageURLs: item.images ?? [])
    }

    /// UPCitemdb announces the end of the rate-limit window as `X-RateLimit-Reset` (Unix seconds)
    /// rather than `Retry-After`. Anything but a finite number is no answer (`inf`, `nan`, `1e400`);
    /// the wait is clamped like a Retry-After (a reset in the past is no wait, one years ahead a day).
    static func rateLimitReset(_ response: OutboundResponse, now: Date = Date()) -> Duration? {
        guard let reset = response.header("X-RateLimit-Reset").flatMap({ Double($0.trimmingCharacters(in: .whitespaces)) }) else {
            return nil
        }
        return RetryAfter.wait(seconds: reset - now.timeIntervalSince1970)
    }

    /// `GET /prod/trial/lookup?upc=`: `{"code": "OK", "total": 0, "items": []}` when nothing matched;
    /// errors carry `code` (`TOO_FAST`, `INVALID_UPC`, ...) and `message`.
    struct Envelope: Decodable {
        var code: String?
        var total: Int?
        var items: [Item]?
        struct Item: Decodable {
            var ean: String?
            var title: String?
            var images: [String]?
        }
    }
}
