import EnricherCore
import Enrichment
import HTTPCore
import Foundation

/// `/v1/enrichments`: the catalog asks for covers; the work is queued and runs in the background.
struct EnrichmentRoutes: Sendable {
    let jobs: JobStore
    let entities: EntityRepository
    let signal: WorkSignal
    let maxEntities: Int
    /// Most entities a re-run by filter takes.
    let filterMaxEntities: Int
    let limits: Configuration.Limits
    /// Whether a callback secret is configured: without one, no callback can be signed.
    let callbacksSigned: Bool

    func register(in router: inout Router) {
        router.add(.POST, "/v1/enrichments", create)
        router.add(.GET, "/v1/enrichments", list)
        router.add(.GET, "/v1/enrichments/{id}", get)
    }

    struct Rejected: Encodable {
        var index: Int
        var mediaType: String
        var id: String
        var detail: String
    }

    struct Item: Encodable {
        var mediaType: String
        var id: String
        var state: String
        @Nullable var outcome: String?
        @Nullable var detail: String?
        var attempts: Int
        @Nullable var finishedAt: Date?
    }

    /// A job as the API shows it; `rejected` only in the answer to its creation, `items` only when read.
    struct JobView: Encodable {
        var job: EnrichmentJob
        var counts: JobCounts
        var rejected: [Rejected]?
        var items: [Item]?
        var nextCursor: String?

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(job.id, forKey: .id)
            try container.encode(job.status.rawValue, forKey: .status)
            try container.encode(job.force, forKey: .force)
            try container.encode(job.callbackUrl, forKey: .callbackUrl)
            try container.encode(job.createdAt, forKey: .createdAt)
            try container.encode(job.completedAt, forKey: .completedAt)
            try container.encode(job.total, forKey: .total)
            try container.encode(counts, forKey: .counts)
            try container.encode(job.percent(counts), forKey: .percent)
            try container.encode(job.filter, forKey: .filter)
            try container.encode(job.expansion.map { Expansion(state: $0.done ? "done" : "expanding", matched: $0.matched, expanded: job.total) },
                                 forKey: .expansion)
            if let rejected { try container.encode(rejected, forKey: .rejected) }
            if let items {
                try container.encode(items, forKey: .items)
                try container.encode(nextCursor, forKey: .nextCursor)
            }
        }


        enum CodingKeys: String, CodingKey {
            case id, status, force, callbackUrl, createdAt, completedAt, total, counts, percent, filter, expansion, rejected, items, nextCursor
        }
    }

    /// How far a filter's entities are written as tasks.
    struct Expansion: Encodable {
        /// `expanding` while pages are written, then `done` (`total` is then final).
        var state: String
        var matched: Int
        var expanded: Int
    }

    /// The answer to a dry run.
    struct DryRun: Encodable {
        var dryRun = true
        var filter: EntityFilter
        var matched: Int
        var maxEntities: Int
    }

    @Sendable func create(_ request: RouteRequest) async throws -> HTTPResponse {
        let body = try request.jsonBody()
        let input: EnrichmentRequest
        switch EnrichmentRequest.read(body, maxEntities: maxEntities) {
        case .success(let value): input = value
        case .failure(let errors): throw Problem.validation(errors)
        }
        if input.callbackUrl != nil && !callbacksSigned {
            throw Problem.validation(FieldErrors([FieldError(pointer: "/callbackUrl",
                detail: "callbacks are signed, and no ENRICHER_CALLBACK_SECRET is configured on this service")]))
        }
        if let filter = input.filter {
            return try await rerun(filter, input)
        }
        let existing = try await entities.get(input.keys.map(\.key))
        var rejected = input.duplicates.map { duplicate in
            Rejected(index: duplicate.index, mediaType: duplicate.key.mediaType.rawValue, id: duplicate.key.id,
                     detail: "\(duplicate.key) appears earlier in this request, at index \(duplicate.earlier)")
        }
        var keys: [EntityKey] = []
        for (index, key) in input.keys {
            if existing[key] != nil {
                keys.append(key)
            } else {
                rejected.append(Rejected(index: index, mediaType: key.mediaType.rawValue, id: key.id,
                                         detail: "no entity \(key); create it with PUT /v1/entities/\(key) first"))
            }
        }
        rejected.sort { $0.index < $1.index }
        guard !keys.isEmpty else {
            throw Problem(.validation, detail: "none of the entities exist; create them with PUT /v1/entities/{mediaType}/{id} first",
                          errors: rejected.map { FieldError(pointer: "/entities/\($0.index)", detail: $0.detail) })
        }
        let job = try await jobs.create(keys: keys, force: input.force, callbackUrl: input.callbackUrl)
        signal.wake()
        var counts = JobCounts()
        counts.queued = keys.count
        var response = JSONResponse.make(statusCode: .accepted, body: JobView(job: job, counts: counts, rejected: rejected))
        response.headers["Location"] = "/v1/enrichments/\(job.id)"
        return response
    }

    /// A re-run by filter: counted, refused, or started with its tasks written in the background.
    private func rerun(_ filter: EntityFilter, _ input: EnrichmentRequest) async throws -> HTTPResponse {
        switch try await jobs.rerun(filter: filter, force: input.force, callbackUrl: input.callbackUrl, dryRun: input.dryRun,
                                    maxEntities: filterMaxEntities, entities: entities) {
        case .counted(let matched):
            return JSONResponse.make(statusCode: .ok, body: DryRun(filter: filter, matched: matched, maxEntities: filterMaxEntities))
        case .noMatch:
            throw Problem(.validation, detail: "the filter matches no entity; nothing to re-run (a dry run counts without starting a job)")
        case .tooMany(let matched, let limit):
            throw Problem(.validation, detail: "the filter matches \(matched) entities, more than a re-run may take (\(ConfigurationKey.filterJobMaxEntities.name) = \(limit)); narrow it, for example by media type or lookedUpBefore")
        case .started(let job):
            signal.wake()
            var response = JSONResponse.make(statusCode: .accepted, body: JobView(job: job, counts: JobCounts(), rejected: []))
            response.headers["Location"] = "/v1/enrichments/\(job.id)"
            return response
        }
    }

    @Sendable func get(_ request: RouteRequest) async throws -> HTTPResponse {
        let id = request.parameters["id"] ?? ""
        guard let job = try await jobs.job(id) else {
            throw Problem(.notFound, detail: "no enrichment job \(id)")
        }
        let limit = try request.pageLimit(limits)
        let after = try request.query("cursor", "cursor '%@' is not one this API gave out; pass nextCursor from the previous page unchanged") {
            Int($0).flatMap { $0 >= 0 ? $0 : nil }
        }
        // The counts (and the status they settle) first, then the items: items only move forward, so a page
        // read after the counts is never behind them (a completed job never shows an item still queued).
        let (current, counts) = try await jobs.settle(job)
        let page = try await jobs.items(job, after: after, limit: limit)
        let items = page.items.map { item in
            Item(mediaType: item.key.mediaType.rawValue, id: item.key.id, state: item.state.rawValue, outcome: item.outcome?.rawValue,
                 detail: item.detail, attempts: item.attempts, finishedAt: item.finishedAt)
        }
        let view = JobView(job: current, counts: counts, items: items, nextCursor: page.next.map(String.init))
        return JSONResponse.make(statusCode: .ok, body: view)
    }
}
