import EnricherCore
import Foundation
import Logging
import Outbound

/// UPCitemdb: barcode (UPC, EAN, ISBN-13) -> retail product. It is the barcode database behind
/// `LookupContext` (the product title feeds TMDb, GiantBomb and IGDB), and its retailer images are
/// candidates of last resort.
public struct UPCItemDBProvider: CoverProvider {
    public var descriptor: ProviderDescriptor { .upcItemDB }

    private let baseURL: String
    private let userKey: Secret?
    private let http: ProviderHTTP
    private let logger: Logger

    public init(settings: ProviderSettings, fetcher: any HTTPFetching, logger: Logger) {
        baseURL = settings[.upcItemDBURL]
        userKey = settings[.upcItemDBKey].isEmpty ? nil : Secret(settings[.upcItemDBKey])
        var http = ProviderHTTP(service: "UPCitemdb", fetcher: fetcher, throttleStatuses: ProviderDescriptor.upcItemDB.throttleStatuses)
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

extension ProviderID {
    public static let upcItemDB = ProviderID(rawValue: "upcitemdb")
}

extension ConfigurationKey {
    public static let upcItemDBURL = ConfigurationKey("ENRICHER_UPCITEMDB_URL", "https://api.upcitemdb.com", "UPCitemdb API base URL.")
    /// Paid plan key: with it the `/prod/v1/lookup` endpoint and the `user_key` header are used.
    public static let upcItemDBKey = ConfigurationKey("ENRICHER_UPCITEMDB_USER_KEY", nil, "UPCitemdb paid-plan key; without it the free trial endpoint is used.", secret: true)
    public static let upcItemDBRate = rate("UPCitemdb", "UPCITEMDB", "6/min", "about 6/min and 100/day per IP on the trial plan")
    public static let upcItemDBBurst = burst("UPCitemdb", "UPCITEMDB", "1")
    public static let upcItemDBDaily = dailyQuota("UPCitemdb", "UPCITEMDB", "100", plan: "trial plan: 100")
}

extension ProviderDescriptor {
    /// Every media type: a barcode is a barcode, and an ISBN-13 is an EAN.
    public static let upcItemDB = ProviderDescriptor(
        id: .upcItemDB, displayName: "UPCitemdb", mediaTypes: Set(MediaType.allCases),
        settings: [.url(.upcItemDBURL), .credential(.upcItemDBKey, required: false)],
        rate: .upcItemDBRate, burst: .upcItemDBBurst, dailyQuota: .upcItemDBDaily,
        documentedRateLimit: "trial: 100/day and about 6/min per IP, then 429",
        throttleStatuses: [429],
        make: { UPCItemDBProvider(settings: $0, fetcher: $1, logger: $2) })
}
