import EnricherCore
import HTTPCore
import Foundation

/// `/v1/entities`: the catalog tells Enricher about its items and reads back what Enricher knows.
struct EntityRoutes: Sendable {
    let repository: EntityRepository
    let limits: Configuration.Limits
    /// Queues the lookups a write cleared.
    let requeue: LookupRequeue

    func register(in router: inout Router) {
        router.add(.PUT, "/v1/entities/{mediaType}/{id}", put)
        router.add(.GET, "/v1/entities/{mediaType}/{id}", get)
        router.add(.DELETE, "/v1/entities/{mediaType}/{id}", delete)
        router.add(.POST, "/v1/entities/batch", batch)
        router.add(.GET, "/v1/entities", list)
    }

    /// The entity named by the path; 404 for an unknown media type, 400 for an id that cannot be one.
    private func key(_ request: RouteRequest) throws -> EntityKey {
        let rawType = request.parameters["mediaType"] ?? ""
        guard let mediaType = MediaType(rawValue: rawType) else {
            throw Problem(.notFound, detail: "'\(rawType)' is not a media type; expected one of \(MediaType.list)")
        }
        let id = request.parameters["id"] ?? ""
        guard EntityKey.isValidID(id) else {
            throw Problem(.badRequest, detail: "the entity id must be \(EntityKey.idRule)")
        }
        return EntityKey(mediaType: mediaType, id: id)
    }

    @Sendable func put(_ request: RouteRequest) async throws -> HTTPResponse {
        let key = try key(request)
        let body = try request.jsonBody()
        let input: EntityInput
        switch EntityInput.read(body, pointer: "") {
        case .success(let value): input = value
        case .failure(let errors): throw Problem.validation(errors)
        }
        var mismatches: [FieldError] = []
        if let mediaType = input.mediaType, mediaType != key.mediaType {
            mismatches.append(FieldError(pointer: "/mediaType", detail: "'\(mediaType.rawValue)' differs from the path's '\(key.mediaType.rawValue)'"))
        }
        if let id = input.id, id != key.id {
            mismatches.append(FieldError(pointer: "/id", detail: "'\(id)' differs from the path's '\(key.id)'"))
        }
        if !mismatches.isEmpty { throw Problem.validation(FieldErrors(mismatches)) }
        let draft: EntityDraft
        switch input.draft.validated(for: key.mediaType) {
        case .success(let value): draft = value
        case .failure(let errors): throw Problem.validation(errors)
        }
        let upserted = try await repository.upsert(key, draft)
        var reset: LookupResetView?
        if let cleared = upserted.lookupReset {
            reset = LookupResetView(cleared, jobID: try await requeue.queue([(key, cleared)]))
        }
        return JSONResponse.make(statusCode: upserted.created ? .created : .ok, body: EntityAnswer(entity: upserted.entity, lookupReset: reset))
    }

    @Sendable func get(_ request: RouteRequest) async throws -> HTTPResponse {
        let key = try key(request)
        guard let entity = try await repository.get(key) else {
            throw Problem(.notFound, detail: "no entity \(key)")
        }
        return JSONResponse.make(statusCode: .ok, body: entity)
    }

    @Sendable func delete(_ request: RouteRequest) async throws -> HTTPResponse {
        let key = try key(request)
        guard try await repository.delete(key) else {
            throw Problem(.notFound, detail: "no entity \(key)")
        }
        return HTTPResponse(status: .noContent)
    }

    struct BatchResult: Encodable {
        var index: Int
        var mediaType: String
        var id: String
        var outcome: String
        var problem: Problem?
        /// When replacing it cleared its lookup (and queued it again).
        @Nullable var lookupReset: LookupResetView?
    }

    struct BatchResponse: Encodable {
        var created = 0
        var replaced = 0
        var rejected = 0
        /// The job looking again at the entities whose lookup the batch cleared; null when none.
        @Nullable var enrichmentJobId: String?
        var results: [BatchResult] = []
    }

    @Sendable func batch(_ request: RouteRequest) async throws -> HTTPResponse {
        let body = try request.jsonBody()
        guard case .object(let object) = body else {
            throw Problem(.validation, detail: "the body must be an object {\"entities\": [...]}, got \(body.typeName)",
                          errors: [FieldError(pointer: "/", detail: "must be an object")])
        }
        guard case .array(let items)? = object["entities"] else {
            throw Problem(.validation, detail: "'entities' must be an array of 1 to \(limits.batchMaxEntities) entities",
                          errors: [FieldError(pointer: "/entities", detail: "must be an array")])
        }
        guard (1...limits.batchMaxEntities).contains(items.count) else {
            throw Problem(.validation, detail: "'entities' holds \(items.count) entities; send 1 to \(limits.batchMaxEntities) (ENRICHER_BATCH_MAX_ENTITIES)",
                          errors: [FieldError(pointer: "/entities", detail: "must hold 1 to \(limits.batchMaxEntities) items")])
        }
        var response = BatchResponse()
        response.results.reserveCapacity(items.count)
        var accepted: [(index: Int, key: EntityKey, draft: EntityDraft)] = []
        var seen: [EntityKey: Int] = [:]
        for (index, item) in items.enumerated() {
            let pointer = "/entities/\(index)"
            let echo = Self.echo(item)
            func reject(_ errors: FieldErrors) {
                response.results.append(BatchResult(index: index, mediaType: echo.mediaType, id: echo.id, outcome: "rejected", problem: Problem.validation(errors)))
            }
            let input: EntityInput
            switch EntityInput.read(item, pointer: pointer) {
            case .success(let value): input = value
            case .failure(let errors): reject(errors); continue
            }
            var missing: [FieldError] = []
            if input.mediaType == nil { missing.append(FieldError(pointer: "\(pointer)/mediaType", detail: "is required, one of \(MediaType.list)")) }
            if input.id == nil { missing.append(FieldError(pointer: "\(pointer)/id", detail: "is required, \(EntityKey.idRule)")) }
            guard let mediaType = input.mediaType, let id = input.id else { reject(FieldErrors(missing)); continue }
            let key = EntityKey(mediaType: mediaType, id: id)
            if let earlier = seen[key] {
                reject(FieldErrors([FieldError(pointer: "\(pointer)/id", detail: "\(key) appears earlier in this batch, at index \(earlier)")]))
                continue
            }
            switch input.draft.validated(for: mediaType, pointerPrefix: pointer) {
            case .success(let draft):
                seen[key] = index
                accepted.append((index, key, draft))
                response.results.append(BatchResult(index: index, mediaType: mediaType.rawValue, id: id, outcome: "pending"))
            case .failure(let errors):
                reject(errors)
            }
        }
        let outcomes = try await repository.upsertMany(accepted.map { ($0.key, $0.draft) })
        var resets: [(index: Int, key: EntityKey, reset: EntityRepository.LookupReset)] = []
        for (item, outcome) in zip(accepted, outcomes) {
            switch outcome {
            case .created: response.results[item.index].outcome = "created"
            case .replaced(let reset):
                response.results[item.index].outcome = "replaced"
                if let reset { resets.append((item.index, item.key, reset)) }
            case .failed(let reason):
                response.results[item.index].outcome = "rejected"
                response.results[item.index].problem = Problem(.unavailable, detail: "not stored: \(reason)")
            }
        }
        let jobID = try await requeue.queue(resets.map { ($0.key, $0.reset) })
        response.enrichmentJobId = jobID
        for reset in resets {
            response.results[reset.index].lookupReset = LookupResetView(reset.reset, jobID: jobID)
        }
        for result in response.results {
            switch result.outcome {
            case "created": response.created += 1
            case "replaced": response.replaced += 1
            default: response.rejected += 1
            }
        }
        return JSONResponse.make(statusCode: .ok, body: response)
    }

    /// An item's mediaType and id as sent, for the per-item answer even when the item is invalid.
    private static func echo(_ item: JSONValue) -> (mediaType: String, id: String) {
        guard case .object(let object) = item else { return ("", "") }
        var echo = ("", "")
        if case .string(let mediaType)? = object["mediaType"] { echo.0 = mediaType }
        if case .string(let id)? = object["id"] { echo.1 = id }
        return echo
    }

    struct Page: Encodable {
        var items: [Entity]
        var nextCursor: String?

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(items, forKey: .items)
            try container.encode(nextCursor, forKey: .nextCursor) // explicit null on the last page
        }

        enum CodingKeys: String, CodingKey { case items, nextCursor }
    }

    @Sendable func list(_ request: RouteRequest) async throws -> HTTPResponse {
        let mediaType = try request.query("mediaType", as: MediaType.self, "mediaType '%@' is not one of \(MediaType.list)")
        let status = try request.query("status", as: EntityStatus.self, "status '%@' is not one of \(EntityStatus.list)")
        let limit = try request.pageLimit(limits)
        let cursor = try request.query("cursor", "cursor '%@' is not one this API gave out; pass nextCursor from the previous page unchanged",
                                       EntityCursor.init(token:))
        let (entities, next) = try await repository.list(mediaType: mediaType, status: status, after: cursor, limit: limit)
        return JSONResponse.make(statusCode: .ok, body: Page(items: entities, nextCursor: next?.token))
    }
}
