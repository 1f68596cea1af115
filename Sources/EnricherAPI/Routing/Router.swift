import EnricherCore
import Foundation
import HTTPCore
import Logging

/// A request as a route handler sees it: the raw request, its path parameters (decoded once), and the
/// logger that carries the request's id.
struct RouteRequest: Sendable {
    let http: HTTPRequest
    let parameters: [String: String]
    let logger: Logger

    var path: String { String(http.path) }

    func query(_ name: String) -> String? {
        guard let query = http.query else { return nil }
        for pair in query.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard let key = parts.first.flatMap({ String($0).removingPercentEncoding }), key == name else { continue }
            return parts.count > 1 ? (String(parts[1]).removingPercentEncoding ?? String(parts[1])) : ""
        }
        return nil
    }

    /// A query parameter read with `parse`; nil when absent, 400 with `problem` (its `%@` the value) when unreadable.
    func query<T>(_ name: String, _ problem: String, _ parse: (String) -> T?) throws -> T? {
        guard let raw = query(name) else { return nil }
        guard let value = parse(raw) else {
            throw Problem(.badRequest, detail: problem.replacingOccurrences(of: "%@", with: raw))
        }
        return value
    }

    func query<T: RawRepresentable>(_ name: String, as type: T.Type, _ problem: String) throws -> T? where T.RawValue == String {
        try query(name, problem, T.init(rawValue:))
    }

    /// A whole-number query parameter within `range`; `fallback` when absent, 400 naming the range otherwise.
    func integer(_ name: String, in range: ClosedRange<Int>, default fallback: Int) throws -> Int {
        try query(name, "\(name) must be a whole number from \(range.lowerBound) to \(range.upperBound), got '%@'") {
            Int($0).flatMap { range.contains($0) ? $0 : nil }
        } ?? fallback
    }

    /// The `limit` query parameter of a listing: 1 to `ENRICHER_LIST_MAX_LIMIT`, the default when absent.
    func pageLimit(_ limits: Configuration.Limits) throws -> Int {
        try integer("limit", in: 1...limits.listMaxLimit, default: limits.listDefaultLimit)
    }
}

/// Matches method and path to a route, which says how it is reached; answers 404 and 405 (with `Allow`).
/// The path is taken exactly as sent: split on `/`, each segment percent-decoded once, `.` and `..`
/// refused, empty segments kept (so `/v1//config` matches nothing). What a route requires (a key, the
/// catalog's signature, nothing) is decided by the route matched, never by looking at the path.
struct Router: Sendable {
    typealias Handler = @Sendable (RouteRequest) async throws -> HTTPResponse

    /// How a route is reached.
    enum Access: Sendable {
        /// `Authorization: Bearer <key>`, checked before the body is read.
        case apiKey
        /// `Authorization: Bearer <key>` with an API key or a metrics key (`ENRICHER_METRICS_KEYS`).
        case metrics
        /// The handler checks a signature over the body (the catalog's inbound webhook).
        case signature
        /// Anyone: health checks and cover images (an `<img src>` carries no key).
        case `public`
    }

    fileprivate enum Segment: Sendable {
        case literal(String)
        case parameter(String)
    }

    struct Route: Sendable {
        let method: HTTPMethod
        let template: String
        let access: Access
        fileprivate let segments: [Segment]
        let handler: Handler
    }

    private var routes: [Route] = []

    /// `pattern` is a path whose `{name}` segments are parameters, e.g. `/v1/entities/{mediaType}/{id}`.
    mutating func add(_ method: HTTPMethod, _ pattern: String, access: Access = .apiKey, _ handler: @escaping Handler) {
        let segments = pattern.split(separator: "/", omittingEmptySubsequences: false).dropFirst().map { segment -> Segment in
            segment.hasPrefix("{") && segment.hasSuffix("}") ? .parameter(String(segment.dropFirst().dropLast())) : .literal(String(segment))
        }
        routes.append(Route(method: method, template: pattern, access: access, segments: segments, handler: handler))
    }

    enum Match {
        case found(Route, [String: String])
        case methodNotAllowed(allowed: [HTTPMethod])
        case notFound
        /// A segment that is `.`/`..` once decoded, or not UTF-8.
        case invalid(String)
    }

    func match(method: HTTPMethod, path: Substring) -> Match {
        guard path.first == "/" else { return .invalid("the path must begin with '/'") }
        var segments: [String] = []
        for raw in path.dropFirst().split(separator: "/", omittingEmptySubsequences: false) {
            guard let decoded = Self.decode(raw) else { return .invalid("a path segment is not valid percent-encoded UTF-8") }
            if decoded == "." || decoded == ".." { return .invalid("'.' and '..' path segments are not allowed") }
            segments.append(decoded)
        }
        var allowed: [HTTPMethod] = []
        var getRoute: (Route, [String: String])?
        for route in routes where route.segments.count == segments.count {
            var parameters: [String: String] = [:]
            var matches = true
            for (segment, value) in zip(route.segments, segments) {
                switch segment {
                case .literal(let literal): matches = literal == value
                case .parameter(let name): parameters[name] = value
                }
                if !matches { break }
            }
            guard matches else { continue }
            if route.method == method { return .found(route, parameters) }
            if route.method == .GET { getRoute = (route, parameters) }
            if !allowed.contains(route.method) { allowed.append(route.method) }
        }
        // HEAD is GET without the body (RFC 9110 §9.3.2): the server leaves the body out.
        if method == .HEAD, let (route, parameters) = getRoute { return .found(route, parameters) }
        if allowed.contains(.GET) && !allowed.contains(.HEAD) { allowed.insert(.HEAD, at: allowed.firstIndex(of: .GET)! + 1) }
        return allowed.isEmpty ? .notFound : .methodNotAllowed(allowed: allowed)
    }

    /// Percent-decodes once; nil for a malformed escape or bytes that are not UTF-8.
    static func decode(_ segment: Substring) -> String? {
        guard segment.utf8.contains(UInt8(ascii: "%")) else { return String(segment) }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(segment.utf8.count)
        var iterator = segment.utf8.makeIterator()
        while let byte = iterator.next() {
            guard byte == UInt8(ascii: "%") else { bytes.append(byte); continue }
            guard let high = iterator.next().flatMap(Self.hexValue), let low = iterator.next().flatMap(Self.hexValue) else { return nil }
            bytes.append(high << 4 | low)
        }
        return String(validating: bytes, as: UTF8.self)
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
