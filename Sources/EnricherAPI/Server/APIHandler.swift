import EnricherCore
import Foundation
import HTTPCore
import Logging

/// The API as the server's responder: matches the route, applies the access it declares, runs its
/// handler and turns every error into problem+json.
public struct APIHandler: HTTPResponder {
    let router: Router
    /// The API keys.
    let authenticator: Authenticator
    /// The API keys and the metrics keys.
    let metricsAuthenticator: Authenticator
    /// Says whether an error means "the database is unavailable for now" (answered 503 with Retry-After).
    let isTransient: @Sendable (any Error) -> Bool

    public func screen(_ head: HTTPRequestHead, context: HTTPRequestContext) -> HTTPResponse? {
        if head.target == "*" {
            // `OPTIONS *` (the only request the parser lets through with this target): what the server does.
            context.route = "*"
            return HTTPResponse(status: .noContent, headers: ["Allow": "GET, HEAD, PUT, POST, DELETE"])
        }
        let path = head.target.utf8.firstIndex(of: UInt8(ascii: "?")).map { head.target[..<$0] } ?? head.target[...]
        switch router.match(method: head.method, path: path) {
        case .found(let route, let parameters):
            context.route = route.template
            context.screened = Screened(route: route, parameters: parameters)
            let keys: Authenticator? = switch route.access {
            case .apiKey: authenticator
            case .metrics: metricsAuthenticator
            case .signature, .public: nil
            }
            guard let keys, let refusal = keys.refusal(authorization: head.headers["Authorization"]) else {
                return nil
            }
            return Problem(.unauthorized, detail: refusal, headers: ["WWW-Authenticate": #"Bearer realm="enricher""#])
                .response(instance: String(path))
        case .methodNotAllowed(let allowed):
            let names = allowed.map(\.rawValue).joined(separator: ", ")
            return Problem(.methodNotAllowed, detail: "\(head.method.rawValue) is not allowed here; use \(names)", headers: ["Allow": names])
                .response(instance: String(path))
        case .notFound:
            return Problem(.notFound, detail: "no such resource").response(instance: String(path))
        case .invalid(let reason):
            return Problem(.badRequest, detail: reason).response(instance: nil)
        }
    }

    public func respond(to request: HTTPRequest, context: HTTPRequestContext) async -> HTTPResponse {
        let path = String(request.path)
        guard let screened = context.screened as? Screened else {
            // `screen` answered every other case before the body was read.
            return Problem(.notFound, detail: "no such resource").response(instance: path)
        }
        let (route, parameters) = (screened.route, screened.parameters)
        do {
            return try await route.handler(RouteRequest(http: request, parameters: parameters, logger: context.logger))
        } catch let problem as Problem {
            return problem.response(instance: path)
        } catch where isTransient(error) {
            context.logger.warning("database unavailable", metadata: ["route": "\(route.template)", "error": "\(error)"])
            return Problem(.unavailable, detail: "the database is unavailable, try again shortly", headers: ["Retry-After": "5"])
                .response(instance: path)
        } catch {
            context.logger.error("request failed", metadata: ["method": "\(request.method)", "route": "\(route.template)", "error": "\(error)"])
            return Problem(.internalError, detail: "an unexpected error occurred; it has been logged (request \(context.id))")
                .response(instance: path)
        }
    }

    public func refusal(_ status: HTTPStatus, detail: String, context: HTTPRequestContext) -> HTTPResponse {
        context.logger.info("request refused", metadata: ["status": "\(status.code)", "reason": "\(detail)"])
        let kind = Problem.Kind(status: status.code) ?? .badRequest
        let hint = status == .requestTimeout && detail.contains("body") ? "ENRICHER_HTTP_BODY_TIMEOUT_SECONDS" : Self.settingHint[status.code]
        return Problem(kind, detail: detail + (hint.map { " (\($0))" } ?? "")).response(instance: nil)
    }

    /// The route `screen` matched, for `respond`.
    private struct Screened: Sendable {
        let route: Router.Route
        let parameters: [String: String]
    }

    /// The setting that moves each limit the server enforces, named in the refusal.
    private static let settingHint: [Int: String] = [
        413: "ENRICHER_MAX_BODY_BYTES",
        414: "ENRICHER_HTTP_MAX_REQUEST_LINE_BYTES",
        431: "ENRICHER_HTTP_MAX_HEADER_BYTES, ENRICHER_HTTP_MAX_HEADER_COUNT",
        408: "ENRICHER_HTTP_HEADER_TIMEOUT_SECONDS",
    ]
}
