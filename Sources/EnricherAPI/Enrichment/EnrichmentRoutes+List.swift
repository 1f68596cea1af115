import EnricherCore
import Enrichment
import HTTPCore

/// `GET /v1/enrichments`: the jobs created last, each with its counts and progress (no items), so a
/// dashboard sees what runs and what just ran without knowing job ids.
extension EnrichmentRoutes {
    struct JobList: Encodable {
        var jobs: [JobView]
    }

    @Sendable func list(_ request: RouteRequest) async throws -> HTTPResponse {
        let limit = try request.pageLimit(limits)
        let status = try request.query("status", as: EnrichmentJob.Status.self, "status must be running or completed, got '%@'")
        let recent = try await jobs.recent(status: status, limit: limit)
        let counts = try await jobs.counts(recent.map(\.id))
        let views = recent.map { JobView(job: $0, counts: counts[$0.id] ?? JobCounts()) }
        return JSONResponse.make(statusCode: .ok, body: JobList(jobs: views))
    }
}
