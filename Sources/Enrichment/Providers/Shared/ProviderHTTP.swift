import Foundation
import Logging
import Outbound

/// Sends a provider's API requests through the shared HTTP client and classifies every answer the
/// same way: 2xx is a body; the provider's "slow down" statuses are throttles; 401/403 are refused
/// credentials; 5xx and anything unexpected are transient; transport failures are transient.
struct ProviderHTTP: Sendable, CustomReflectable {
    /// Who answers, as people name it ("TMDb", "Cover Art Archive"), for messages.
    let service: String
    let fetcher: any HTTPFetching
    /// Statuses meaning "slow down" (TMDb 429, MusicBrainz 503, Open Library 403...).
    var throttleStatuses: Set<Int>
    /// Statuses meaning "nothing here" on this API, where the provider documents it (Cover Art
    /// Archive 404). Elsewhere a 404 means a wrong base URL or a service that is down: transient.
    var notFoundStatuses: Set<Int> = []
    /// Extra headers on every request (`Accept: application/json`, auth headers).
    var headers: [(name: String, value: String)] = [("Accept", "application/json")]

    /// Only the service: the headers may carry credentials.
    var customMirror: Mirror { Mirror(self, children: ["service": service]) }

    init(service: String, fetcher: any HTTPFetching, throttleStatuses: Set<Int>, notFoundStatuses: Set<Int> = []) {
        self.service = service
        self.fetcher = fetcher
        self.throttleStatuses = throttleStatuses
        self.notFoundStatuses = notFoundStatuses
    }

    /// Sends the request with the shared headers and returns the response, whatever its status;
    /// only transport failures throw.
    func exchange(_ request: OutboundRequest) async throws(ProviderFailure) -> OutboundResponse {
        var request = request
        for header in headers where !request.headers.contains(where: { $0.name.caseInsensitiveCompare(header.name) == .orderedSame }) {
            request.headers.append(header)
        }
        do {
            return try await fetcher.send(request)
        } catch .unavailable(let detail) {
            // Our client, database or budget failed, or we are shutting down: not the provider's doing.
            throw .interrupted(detail)
        } catch .cancelled {
            throw .interrupted("cancelled")
        } catch {
            // Timeouts, refused connections, refused addresses (SSRF guard), malformed URLs: all may
            // work later or after a configuration change; none says anything about the entity.
            throw .transient(error.description)
        }
    }

    /// Sends the request and returns the body of a 2xx answer; every other answer is classified.
    func body(_ request: OutboundRequest) async throws(ProviderFailure) -> [UInt8] {
        let response = try await exchange(request)
        return try classify(response).get()
    }

    /// Sends the request and decodes a 2xx JSON body.
    func json<T: Decodable>(_ type: T.Type, _ request: OutboundRequest) async throws(ProviderFailure) -> T {
        try Self.decode(type, from: try await body(request))
    }

    func get<T: Decodable>(_ type: T.Type, _ url: String) async throws(ProviderFailure) -> T {
        try await json(type, OutboundRequest(url: url))
    }

    /// The general rules, for a response a provider has not recognised itself.
    func classify(_ response: OutboundResponse, now: Date = Date()) -> Result<[UInt8], ProviderFailure> {
        let status = response.status
        if (200..<300).contains(status) { return .success(response.body) }
        if throttleStatuses.contains(status) { return .failure(.throttled(retryAfter: Self.retryAfter(response, now: now))) }
        if notFoundStatuses.contains(status) { return .failure(.notFound) }
        if status == 401 || status == 403 {
            return .failure(.configuration("\(service) rejected the credentials (HTTP \(status))"))
        }
        return .failure(.transient("HTTP \(status)"))
    }

    static func retryAfter(_ response: OutboundResponse, now: Date = Date()) -> Duration? {
        response.header("Retry-After").flatMap { RetryAfter.parse($0, now: now) }
    }

    /// Decodes JSON; a body of another shape is a transient fault of the provider, not of the entity.
    static func decode<T: Decodable>(_ type: T.Type, from body: [UInt8]) throws(ProviderFailure) -> T {
        do {
            return try JSONDecoder().decode(type, from: Data(body))
        } catch let error as DecodingError {
            throw .transient("malformed JSON: \(describe(error))")
        } catch {
            throw .transient("malformed JSON: \(error)")
        }
    }

    /// A one-line account of a decoding failure: where in the document and what was wrong.
    static func describe(_ error: DecodingError) -> String {
        func path(_ keys: [any CodingKey]) -> String {
            let text = keys.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
            return text.isEmpty ? "the top level" : String(text.drop { $0 == "." })
        }
        switch error {
        case .dataCorrupted(let context):
            return context.codingPath.isEmpty ? "not valid JSON" : "invalid value at \(path(context.codingPath))"
        case .keyNotFound(let key, let context):
            return "missing \"\(key.stringValue)\" at \(path(context.codingPath))"
        case .typeMismatch(let type, let context):
            return "expected \(type) at \(path(context.codingPath))"
        case .valueNotFound(let type, let context):
            return "null where \(type) was expected at \(path(context.codingPath))"
        @unknown default:
            return "\(error)"
        }
    }
}

extension Logger {
    /// A copy of the logger that tags every line with the provider.
    func tagged(_ provider: ProviderID) -> Logger {
        var logger = self
        logger[metadataKey: "provider"] = "\(provider.rawValue)"
        return logger
    }
}
