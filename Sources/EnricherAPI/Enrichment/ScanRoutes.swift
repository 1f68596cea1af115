import EnricherCore
import Enrichment
import FlyingFox
import Foundation

/// `/v1/scans`: start a scan now, and see what recent scans did.
struct ScanRoutes: Sendable {
    let scans: ScanService
    let maxBodyBytes: Int
    let limits: Configuration.Limits

    func register(in router: inout Router) {
        router.add(.POST, "/v1/scans", start)
        router.add(.GET, "/v1/scans", list)
        router.add(.GET, "/v1/scans/{id}", get)
    }

    /// A scan as the API shows it; `counts` are live while it runs.
    struct ScanView: Encodable {
        var run: ScanRun
        var counts: JobCounts

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(run.id, forKey: .id)
            try container.encode(run.trigger.rawValue, forKey: .trigger)
            try container.encode(run.force, forKey: .force)
            try container.encode(run.status.rawValue, forKey: .status)
            try container.encode(run.startedAt, forKey: .startedAt)
            try container.encode(run.deadline, forKey: .deadline)
            try container.encode(run.finishedAt, forKey: .finishedAt)
            try container.encode(run.pending.byName, forKey: .pending)
            try container.encode(run.allocation.byName, forKey: .allocation)
            try container.encode(run.allocation.values.reduce(0, +), forKey: .total)
            try container.encode(run.jobID, forKey: .jobId)
            try container.encode(counts, forKey: .counts)
            try container.encode(run.detail, forKey: .detail)
        }

        enum CodingKeys: String, CodingKey {
            case id, trigger, force, status, startedAt, deadline, finishedAt, pending, allocation, total, jobId, counts, detail
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
            let body = try await request.jsonBody(limit: maxBodyBytes)
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
        response.headers[.location] = "/v1/scans/\(run.id)"
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
