import EnricherCore
import HTTPCore
import Logging

/// `/healthz` (the process answers) and `/readyz` (and can reach its database), for orchestrators;
/// `/v1/config` for operators.
struct HealthRoutes: Sendable {
    /// Throws when the service cannot do its work (the database is unreachable).
    let readiness: @Sendable () async throws -> Void
    let configuration: Configuration

    private static let healthy = JSONResponse.make(statusCode: .ok, body: ["status": "ok"])
    private static let ready = JSONResponse.make(statusCode: .ok, body: ["status": "ready"])

    func register(in router: inout Router) {
        router.add(.GET, "/healthz", access: .public) { _ in Self.healthy }
        router.add(.GET, "/readyz", access: .public) { [readiness] request in
            do {
                try await readiness()
                return Self.ready
            } catch {
                // What the driver said stays in the log: an unauthenticated caller learns only "not ready".
                request.logger.warning("not ready", metadata: ["error": "\(error)"])
                throw Problem(.unavailable, detail: "not ready: the database is not reachable", headers: ["Retry-After": "5"])
            }
        }
        router.add(.GET, "/v1/config") { [configuration] _ in
            let values = Dictionary(uniqueKeysWithValues: configuration.effective.map { ($0.key, $0.value) })
            return JSONResponse.make(statusCode: .ok, body: ["config": values])
        }
    }
}
