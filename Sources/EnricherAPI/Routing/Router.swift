import EnricherCore
import FlyingFox
import Foundation

/// A request as a route handler sees it: the path split and decoded, its parameters by name.
struct RouteRequest: Sendable {
    let http: HTTPRequest
    let path: String
    let parameters: [String: String]

    func query(_ name: String) -> String? {
        http.query.first { $0.name == name }?.value
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

    /// The `limit` query parameter of a listing: 1 to `ENRICHER_LIST_MAX_LIMIT`, the default when absent.
    func pageLimit(_ limits: Configuration.Limits) throws -> Int {
        try query("limit", "limit must be a whole number from 1 to \(limits.listMaxLimit), got '%@'") {
            Int($0).flatMap { (1...limits.listMaxLimit).contains($0) ? $0 : nil }
        } ?? limits.listDefaultLimit
    }
}

/// Matches method and path to a handler; answers 404 and 405 (with `Allow`) as problems.
struct Router: Sendable {
    typealias Handler = @Sendable (RouteRequest) async throws -> HTTPResponse

    private enum Segment: Sendable {
        case literal(String)
        case parameter(String)
    }

    private struct Route: Sendable {
        let method: HTTPMethod
        let segments: [Segment]
        let handler: Handler
    }

    private var routes: [Route] = []

    /// `pattern` is a path whose `{name}` segments are parameters, e.g. `/v1/entities/{mediaType}/{id}`.
    mutating func add(_ method: HTTPMethod, _ pattern: String, _ handler: @escaping Handler) {
        let segments = Self.split(pattern).map { segment -> Segment in
            segment.hasPrefix("{") && segment.hasSuffix("}") ? .parameter(String(segment.dropFirst().dropLast())) : .literal(segment)
        }
        routes.append(Route(method: method, segments: segments, handler: handler))
    }

    enum Match {
        case found(Handler, [String: String])
        case methodNotAllowed(allowed: [HTTPMethod])
        case notFound
    }

    func match(method: HTTPMethod, path: String) -> Match {
        // Parameters are matched on the raw segment and decoded afterwards, so "%2F" stays inside one segment.
        let segments = Self.split(path)
        var allowed: [HTTPMethod] = []
        for route in routes where route.segments.count == segments.count {
            var parameters: [String: String] = [:]
            var matches = true
            for (segment, value) in zip(route.segments, segments) {
                switch segment {
                case .literal(let literal): matches = literal == value
                case .parameter(let name): parameters[name] = value.removingPercentEncoding ?? value
                }
                if !matches { break }
            }
            guard matches else { continue }
            if route.method == method { return .found(route.handler, parameters) }
            allowed.append(route.method)
        }
        return allowed.isEmpty ? .notFound : .methodNotAllowed(allowed: allowed)
    }

    private static func split(_ path: String) -> [String] {
        path.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
    }
}
