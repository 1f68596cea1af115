import EnricherCore
import FlyingFox
import Foundation
import Logging
import MongoDB
import Synchronization

/// The one FlyingFox handler: authenticates `/v1`, routes, and turns every error into problem+json.
struct APIHandler: HTTPHandler {
    let router: Router
    let authenticator: Authenticator
    let logger: Logger
    let inFlight: InFlightCounter

    func handleRequest(_ request: HTTPRequest) async throws -> HTTPResponse {
        inFlight.add(1)
        defer { inFlight.add(-1) }
        let path = request.path
        let started = ContinuousClock.now
        var response: HTTPResponse
        do {
            response = try await route(request)
        } catch let problem as Problem {
            response = problem.response(instance: path)
        } catch let error as MongoError where error.isTransient {
            logger.warning("database unavailable", metadata: ["path": "\(path)", "error": "\(error)"])
            response = Problem(.unavailable, detail: "the database is unavailable, try again shortly", headers: ["Retry-After": "5"]).response(instance: path)
        } catch {
            logger.error("request failed", metadata: ["method": "\(request.method.rawValue)", "path": "\(path)", "error": "\(error)"])
            response = Problem(.internalError, detail: "an unexpected error occurred; it has been logged").response(instance: path)
        }
        if request.method == .HEAD {
            response = await Self.headersOnly(response)
        }
        logger.debug("request", metadata: [
            "method": "\(request.method.rawValue)", "path": "\(path)", "status": "\(response.statusCode.code)",
            "duration": "\(started.duration(to: .now))",
        ])
        return response
    }

    /// A HEAD answer carries the GET answer's headers and no body (FlyingFox would send the body).
    static func headersOnly(_ response: HTTPResponse) async -> HTTPResponse {
        var response = response
        if response.headers[.contentLength] == nil {
            response.headers[.contentLength] = String((try? await response.bodyData.count) ?? 0)
        }
        response.payload = .httpBody(HTTPBodySequence())
        return response
    }

    private func route(_ request: HTTPRequest) async throws -> HTTPResponse {
        // Covers are public (an `<img src>` carries no API key); the catalog's inbound webhook is
        // authenticated by its signature; everything else under /v1 needs a key.
        let publicImage = request.path.hasPrefix(ImageRoutes.pathPrefix) && (request.method == .GET || request.method == .HEAD)
        let signed = request.path == InboundRoutes.path && request.method == .POST
        if request.path == "/v1" || request.path.hasPrefix("/v1/"), !publicImage, !signed,
           let refusal = authenticator.refusal(authorization: request.headers[.authorization]) {
            throw Problem(.unauthorized, detail: refusal, headers: ["WWW-Authenticate": #"Bearer realm="enricher""#])
        }
        switch router.match(method: request.method, path: request.path) {
        case .found(let handler, let parameters):
            return try await handler(RouteRequest(http: request, path: request.path, parameters: parameters))
        case .methodNotAllowed(let allowed):
            let names = allowed.map(\.rawValue).joined(separator: ", ")
            throw Problem(.methodNotAllowed, detail: "\(request.method.rawValue) is not allowed here; use \(names)", headers: ["Allow": names])
        case .notFound:
            throw Problem(.notFound, detail: "no such resource: \(request.path)")
        }
    }
}

/// Requests being handled right now (received in full, answer not yet sent).
final class InFlightCounter: Sendable {
    private let count = Mutex(0)
    var value: Int { count.withLock { $0 } }
    func add(_ delta: Int) { count.withLock { $0 += delta } }
}
