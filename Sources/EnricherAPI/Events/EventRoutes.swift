import EnricherCore
import Enrichment
import HTTPCore

/// `GET /v1/enrichments/{id}/events` and `GET /v1/events`: live progress as server-sent events,
/// resumable with `Last-Event-ID` (docs/events.md).
struct EventRoutes: Sendable {
    let streams: EventStreams

    func register(in router: inout Router) {
        router.add(.GET, "/v1/enrichments/{id}/events", jobEvents)
        router.add(.GET, "/v1/events", allEvents)
    }

    @Sendable func jobEvents(_ request: RouteRequest) async throws -> HTTPResponse {
        let id = request.parameters["id"] ?? ""
        let (resume, follow) = try Self.read(request)
        guard let job = try await streams.jobs.job(id) else {
            throw Problem(.notFound, detail: "no enrichment job \(id)")
        }
        try await checkKnown(resume)
        var ending = EventStream.Ending.logged
        if job.status == .completed {
            if let final = try await streams.log.sequence(ofEvent: WebhookEvents.jobCompletedID(id)) {
                // The client has the final event: nothing more will come (an EventSource stops reconnecting on 204).
                if let resume, resume >= final { return HTTPResponse(status: .noContent) }
            } else {
                let kept = try await streams.jobs.completionEvent(id)
                if kept.relayed { ending = .kept(kept.event) }
            }
        }
        let admission = try streams.admit()
        var logger = request.logger
        logger[metadataKey: "job"] = .string(id)
        return open(EventStream(jobID: id, after: resume ?? 0, follow: follow, ending: ending, streams: streams, admission: admission, logger: logger))
    }

    @Sendable func allEvents(_ request: RouteRequest) async throws -> HTTPResponse {
        let (resume, follow) = try Self.read(request)
        let newest = try await checkKnown(resume)
        let admission = try streams.admit()
        return open(EventStream(jobID: nil, after: resume ?? newest, follow: follow, ending: .logged, streams: streams, admission: admission,
                                logger: request.logger))
    }

    /// `Last-Event-ID` and `?follow`, or 400.
    private static func read(_ request: RouteRequest) throws -> (resume: Int64?, follow: Bool) {
        let resume = try LastEventID.parse(request.http.headers.values("Last-Event-ID"))
        let follow = try request.query("follow", "follow must be true or false, got '%@'") { ["true": true, "false": false][$0] } ?? true
        return (resume, follow)
    }

    /// Refuses a cursor past the newest event: it is not from this service's log. Returns the newest number.
    @discardableResult
    private func checkKnown(_ resume: Int64?) async throws -> Int64 {
        let newest = try await streams.log.newest()
        if let resume, resume > newest {
            throw Problem(.badRequest, detail: "Last-Event-ID \(resume) is past the newest event (\(newest)): it was not given out by this service's event log")
        }
        return newest
    }

    private func open(_ stream: EventStream) -> HTTPResponse {
        HTTPResponse(status: .ok, headers: [
            "Content-Type": "text/event-stream",
            "Cache-Control": "no-store",
            // Proxies that buffer responses (nginx) pass this one through as it comes.
            "X-Accel-Buffering": "no",
        ], body: .stream(length: nil) { writer in await stream.run(writer) })
    }
}
