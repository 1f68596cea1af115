import EnricherCore
import Enrichment
import HTTPCore
import Foundation

/// `/v1/webhooks`: subscriptions to events, their deliveries with every attempt, and replays.
struct WebhookRoutes: Sendable {
    let store: WebhookStore
    let limits: Configuration.Limits

    func register(in router: inout Router) {
        router.add(.POST, "/v1/webhooks", create)
        router.add(.GET, "/v1/webhooks", list)
        router.add(.GET, "/v1/webhooks/{id}", get)
        router.add(.DELETE, "/v1/webhooks/{id}", delete)
        router.add(.GET, "/v1/webhooks/{id}/deliveries", deliveries)
        router.add(.POST, "/v1/webhooks/{id}/replay", replay)
        router.add(.GET, "/v1/webhooks/{id}/replays/{replayId}", getReplay)
    }

    /// An endpoint as the API shows it; `secret` only in the answer to its creation.
    struct EndpointView: Encodable {
        var id: String
        var kind: String
        var url: String
        var eventTypes: [String]
        var enabled: Bool
        @Nullable var disabledReason: String?
        var createdAt: Date
        @Nullable var lastSuccessAt: Date?
        @Nullable var failingSince: Date?
        var secret: String?

        init(endpoint: WebhookEndpoint, secret: String? = nil) {
            id = endpoint.id
            kind = endpoint.kind.rawValue
            url = endpoint.url
            eventTypes = endpoint.eventTypes.map(\.rawValue)
            enabled = endpoint.enabled
            disabledReason = endpoint.disabledReason
            createdAt = endpoint.createdAt
            lastSuccessAt = endpoint.lastSuccessAt
            failingSince = endpoint.failingSince
            self.secret = secret
        }
    }

    struct DeliveryView: Encodable {
        var id: String
        var eventId: String
        var eventType: String
        var url: String
        var status: String
        var createdAt: Date
        @Nullable var deliveredAt: Date?
        @Nullable var nextAttemptAt: Date?
        @Nullable var detail: String?
        var attempts: [AttemptView]

        init(delivery: WebhookDelivery) {
            id = delivery.id
            eventId = delivery.eventID
            eventType = delivery.eventType.rawValue
            url = delivery.url
            status = delivery.status.rawValue
            createdAt = delivery.createdAt
            deliveredAt = delivery.deliveredAt
            nextAttemptAt = delivery.nextAttemptAt
            detail = delivery.detail
            attempts = delivery.attempts.map(AttemptView.init)
        }
    }

    struct AttemptView: Encodable {
        var at: Date
        @Nullable var statusCode: Int?
        var latencyMs: Int
        @Nullable var response: String?
        @Nullable var error: String?

        init(attempt: WebhookDelivery.Attempt) {
            at = attempt.at
            statusCode = attempt.statusCode
            latencyMs = attempt.latencyMs
            response = attempt.response
            error = attempt.error
        }
    }

    /// A replay and how far it got.
    struct ReplayView: Encodable {
        var id: String
        var webhookId: String
        var since: Date
        var until: Date
        var status: String
        var queued: Int
        var inFlight: Int
        var createdAt: Date
        var updatedAt: Date
        @Nullable var finishedAt: Date?
        @Nullable var detail: String?

        init(replay: WebhookReplay) {
            id = replay.id
            webhookId = replay.endpointID
            since = replay.since
            until = replay.until
            status = replay.status.rawValue
            queued = replay.queued
            inFlight = replay.inFlight
            createdAt = replay.createdAt
            updatedAt = replay.updatedAt
            finishedAt = replay.finishedAt
            detail = replay.detail
        }
    }

    struct EndpointList: Encodable { var webhooks: [EndpointView] }
    struct DeliveryList: Encodable { var deliveries: [DeliveryView] }

    static let fields: Set<String> = ["url", "eventTypes", "secret"]

    @Sendable func create(_ request: RouteRequest) async throws -> HTTPResponse {
        let body = try request.jsonBody()
        guard case .object(let object) = body else {
            throw Problem.validation(FieldErrors([FieldError(pointer: "/", detail: "must be an object {\"url\", \"eventTypes\"?, \"secret\"?}, got \(body.typeName)")]))
        }
        var errors = JSONValue.unknownFields(object, allowed: Self.fields)
        var url: String?
        switch object["url"] {
        case .string(let text)?:
            if let problem = EnrichmentRequest.callbackProblem(text) {
                errors.append(FieldError(pointer: "/url", detail: problem))
            } else {
                url = text
            }
        default: errors.append(FieldError(pointer: "/url", detail: "is required: the absolute http or https URL events are posted to"))
        }
        var types = WebhookEventType.allCases
        switch object["eventTypes"] {
        case nil, .null?: break
        case .array(let items)? where !items.isEmpty:
            types = []
            for (index, item) in items.enumerated() {
                guard case .string(let name) = item, let type = WebhookEventType(rawValue: name) else {
                    errors.append(FieldError(pointer: "/eventTypes/\(index)", detail: "must be one of \(WebhookEventType.list)"))
                    continue
                }
                if !types.contains(type) { types.append(type) }
            }
        default: errors.append(FieldError(pointer: "/eventTypes", detail: "must be a non-empty array of \(WebhookEventType.list)"))
        }
        var secret = WebhookSecret.generate()
        switch object["secret"] {
        case nil, .null?: break
        case .string(let text)?:
            if let given = WebhookSecret(text) { secret = given } else { errors.append(FieldError(pointer: "/secret", detail: "must be \(WebhookSecret.rule)")) }
        default: errors.append(FieldError(pointer: "/secret", detail: "must be \(WebhookSecret.rule)"))
        }
        guard errors.isEmpty, let url else { throw Problem.validation(FieldErrors(errors)) }
        let endpoint = try await store.createSubscription(url: url, eventTypes: types, secret: secret)
        var response = JSONResponse.make(statusCode: .created, body: EndpointView(endpoint: endpoint, secret: secret.text))
        response.headers["Location"] = "/v1/webhooks/\(endpoint.id)"
        return response
    }

    @Sendable func list(_ request: RouteRequest) async throws -> HTTPResponse {
        JSONResponse.make(statusCode: .ok, body: EndpointList(webhooks: try await store.listEndpoints().map { EndpointView(endpoint: $0) }))
    }

    func endpoint(_ request: RouteRequest) async throws -> WebhookEndpoint {
        let id = request.parameters["id"] ?? ""
        guard let endpoint = try await store.endpoint(id) else { throw Problem(.notFound, detail: "no webhook endpoint \(id)") }
        return endpoint
    }

    @Sendable func get(_ request: RouteRequest) async throws -> HTTPResponse {
        JSONResponse.make(statusCode: .ok, body: EndpointView(endpoint: try await endpoint(request)))
    }

    @Sendable func delete(_ request: RouteRequest) async throws -> HTTPResponse {
        let id = request.parameters["id"] ?? ""
        guard try await store.deleteSubscription(id) else {
            throw Problem(.notFound, detail: "no webhook subscription \(id) (callback endpoints follow the jobs and ENRICHER_CALLBACK_URL, and cannot be deleted)")
        }
        return HTTPResponse(status: .noContent)
    }

    @Sendable func deliveries(_ request: RouteRequest) async throws -> HTTPResponse {
        let endpoint = try await endpoint(request)
        let limit = try request.pageLimit(limits)
        let deliveries = try await store.deliveries(endpointID: endpoint.id, limit: limit)
        return JSONResponse.make(statusCode: .ok, body: DeliveryList(deliveries: deliveries.map(DeliveryView.init)))
    }

    @Sendable func replay(_ request: RouteRequest) async throws -> HTTPResponse {
        let endpoint = try await endpoint(request)
        let body = try request.jsonBody()
        guard case .object(let object) = body else {
            throw Problem.validation(FieldErrors([FieldError(pointer: "/", detail: "must be an object {\"since\": \"2026-11-23T00:00:00Z\"}, got \(body.typeName)")]))
        }
        var errors = JSONValue.unknownFields(object, allowed: ["since"])
        var since: Date?
        if case .string(let text)? = object["since"], let date = JSONValue.date(text) {
            since = date
        } else {
            errors.append(FieldError(pointer: "/since", detail: "is required: an RFC 3339 date-time such as 2026-11-23T00:00:00Z"))
        }
        guard errors.isEmpty, let since else { throw Problem.validation(FieldErrors(errors)) }
        guard endpoint.kind == .subscription else {
            throw Problem(.conflict, detail: "\(endpoint.id) is a callback endpoint; its events follow their jobs, and replay is for subscriptions")
        }
        guard endpoint.enabled else {
            throw Problem(.conflict, detail: "webhook endpoint \(endpoint.id) is disabled (\(endpoint.disabledReason ?? "")); create a new subscription")
        }
        // Only recorded here: the events are read and queued in the background, a page at a time.
        switch try await store.scheduleReplay(endpoint, since: since) {
        case .scheduled(let replay):
            var response = JSONResponse.make(statusCode: .accepted, body: ReplayView(replay: replay))
            response.headers["Location"] = "/v1/webhooks/\(endpoint.id)/replays/\(replay.id)"
            return response
        case .alreadyActive(let replay):
            throw Problem(.conflict, detail: "a replay of \(endpoint.id) is \(replay.status.rawValue) (/v1/webhooks/\(endpoint.id)/replays/\(replay.id)); ask again when it has finished")
        }
    }

    @Sendable func getReplay(_ request: RouteRequest) async throws -> HTTPResponse {
        let endpoint = try await endpoint(request)
        let id = request.parameters["replayId"] ?? ""
        guard let replay = try await store.replay(id, endpointID: endpoint.id) else {
            throw Problem(.notFound, detail: "no replay \(id) of webhook endpoint \(endpoint.id)")
        }
        return JSONResponse.make(statusCode: .ok, body: ReplayView(replay: replay))
    }
}
