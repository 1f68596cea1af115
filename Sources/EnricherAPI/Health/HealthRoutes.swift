import EnricherCore
import FlyingFox
import MongoDB

/// `/healthz` (the process answers) and `/readyz` (and can reach its database), for orchestrators;
/// `/v1/config` for operators.
struct HealthRoutes: Sendable {
    let database: MongoDatabase
    let configuration: Configuration

    func register(in router: inout Router) {
        router.add(.GET, "/healthz") { _ in
            JSONResponse.make(statusCode: .ok, body: ["status": "ok"])
        }
        router.add(.GET, "/readyz") { [database] _ in
            do {
                try await database.ping()
                return JSONResponse.make(statusCode: .ok, body: ["status": "ready"])
            } catch {
                throw Problem(.unavailable, detail: "the database is not reachable: \(error)")
            }
        }
        router.add(.GET, "/v1/config") { [configuration] _ in
            let values = Dictionary(uniqueKeysWithValues: configuration.effective.map { ($0.key, $0.value) })
            return JSONResponse.make(statusCode: .ok, body: ["config": values])
        }
    }
}
