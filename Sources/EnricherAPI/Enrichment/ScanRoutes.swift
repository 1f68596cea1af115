import EnricherCore
import Enrichment
import HTTPCore
import Foundation

/// `/v1/scans`: start a scan now, and see what recent scans did.
struct ScanRoutes: Sendable {
    let scans: ScanService
    let limits: Configuration.Limits

    func register(in router: inout Router) {
        router.add(.POST, "/v1/scans", start)
        router.add(.GET, "/v1/scans", list)
        router.add(.GET, "/v1/scans/{id}", get)
    }

    /// A scan as the API shows it; `counts` are live while it runs.
    struct ScanView: Encodable {
        var id: String
        var trigger: String
        var force: Bool
        var status: String
        var startedAt: Date
        var deadline: Date
        @Nullable var finishedAt: Date?
        var pending: [String: Int]
        var allocation: [String: Int]
        var total: Int
        @Nullable var jobId: String?
        var counts: JobCounts
        @Nullable var detail: String?

        init(run: ScanRun, counts: JobCounts) {
            id = run.id
            trigger = run.trigger.rawValue
            force = run.force
            status = run.status.rawValue
            startedAt = run.startedAt
            deadline = run.deadline
            finishedAt = run.finishedAt
            pending = run.pending.byName
            allocation = run.allocation.byName
            total = run.allocation.values.reduce(0, +)
            jobId = run.jobID
            self.counts = counts
            detail = run.detail
        }
    }

    struct ScanList: Encodable {
        var scans: [ScanView]
    }

    func view(_ run: ScanRun) async throws -> ScanView {
        ScanView(run: run, counts: try await scans.counts(of: run))
    }

    @Sendable func start(_ request: RouteRequest) async throws -> HTTPResponse {
        var force = false
        if request.hasBody {
            let body = try request.jsonBody()
            guard case .object(let object) = body else {
                throw Problem(.validation, detail: "the body must be an object such as {\"force\": true}, or empty",
                              errors: [FieldError(pointer: "/", detail: "must be an object, got \(body.typeName)")])
            }
            var errors = JSONValue.unknownFields(object, allowed: ["force"])
            force = JSONValue.optionalBool(object, "force", errors: &errors)
            if !errors.isEmpty { throw Problem.validation(FieldErrors(errors)) }
        }
        let run: ScanRun
        do {
            run = try await scans.start(trigger: .manual, force: force)
        } catch let error as ScanError {
            throw Problem(.conflict, detail: error.description)
        }
        var response = JSONResponse.make(statusCode: .accepted, body: try await view(run))
        response.headers["Location"] = "/v1/scans/\(run.id)"
        return response
    }

    @Sendable func list(_ request: RouteRequest) async throws -> HTTPResponse {
        let limit = try request.pageLimit(limits)
        var views: [ScanView] = []
        for run in try await scans.recent(limit: limit) {
            views.append(try await view(run))
        }
        return JSONResponse.make(statusCode: .ok, body: ScanList(scans: views))
    }

    @Sendable func get(_ request: RouteRequest) async throws -> HTTPResponse {
        let id = request.parameters["id"] ?? ""
        guard let run = try await scans.find(id) else {
            throw Problem(.notFound, detail: "no scan \(id)")
        }
        return JSONResponse.make(statusCode: .ok, body: try await view(run))
    }
}
