import EnricherCore
import Enrichment
import FlyingFox
import Foundation

/// `/v1/webhooks`: subscriptions to events, their deliveries with every attempt, and replays.
struct WebhookRoutes: Sendable {
    let store: WebhookStore
    let maxBodyBytes: Int
    let limits: Configuration.Limits

    func register(in router: inout Router) {
        router.add(.POST, "/v1/webhooks", create)
        router.add(.GET, "/v1/webhooks", list)
        router.add(.GET, "/v1/webhooks/{id}", get)
        router.add(.DELETE, "/v1/webhooks/{id}", delete)
        router.add(.GET, "/v1/webhooks/{id}/deliveries", deliveries)
        router.add(.POST, "/v1/webhooks/{id}/replay", replay)
    }

    /// An endpoint as the API shows it; `secret` only in the answer to its creation.
    struct EndpointView: Encodable {
        var endpoint: WebhookEndpoint
        var secret: String?

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(endpoint.id, forKey: .id)
            try container.encode(endpoint.kind.rawValue, forKey: .kind)
            try container.encode(endpoint.url, forKey: .url)
            try container.encode(endpoint.eventTypes.map(\.rawValue), forKey: .eventTypes)
            try container.encode(endpoint.enabled, forKey: .enabled)
            try container.encode(endpoint.disabledReason, forKey: .disabledReason)
            try container.encode(endpoint.createdAt, forKey: .createdAt)
            try container.encode(endpoint.lastSuccessAt, forKey: .lastSuccessAt)
            try container.encode(endpoint.failingSince, forKey: .failingSince)
            if let secret { try container.encode(secret, forKey: .secret) }
        }

        enum CodingKeys: String, CodingKey { case id, kind, url, eventTypes, enabled, disabledReason, createdAt, lastSuccessAt, failingSince, secret }
    }

    struct DeliveryView: Encodable {
        var delivery: WebhookDelivery

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(delivery.id, forKey: .id)
            try container.encode(delivery.eventID, forKey: .eventId)
            try container.encode(delivery.eventType.rawValue, forKey: .eventType)
            try container.encode(delivery.url, forKey: .url)
            try container.encode(delivery.status.rawValue, forKey: .status)
            try container.encode(delivery.createdAt, forKey: .createdAt)
            try container.encode(delivery.deliveredAt, forKey: .deliveredAt)
            try container.encode(delivery.nextAttemptAt, forKey: .nextAttemptAt)
            try container.encode(delivery.detail, forKey: .detail)
            try container.encode(delivery.attempts.map(AttemptView.init), forKey: .attempts)
        }

        enum CodingKeys: String, CodingKey { case id, eventId, eventType, url, status, createdAt, deliveredAt, nextAttemptAt, detail, attempts }
    }

    struct AttemptView: Encodable {
        var attempt: WebhookDelivery.Attempt

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(attempt.at, forKey: .at)
            try container.encode(attempt.statusCode, forKey: .statusCode)
            try container.encode(attempt.latencyMs, forKey: .latencyMs)
            try container.encode(attempt.response, forKey: .response)
            try container.encode(attempt.error, forKey: .error)
        }

        enum CodingKeys: String, CodingKey { case at, statusCode, latencyMs, response, error }
    }

    struct EndpointList: Encodable { var webhooks: [EndpointView] }
    struct DeliveryList: Encodable { var deliveries: [DeliveryView] }
    struct Replayed: Encodable { var replayed: Int }

    static let fields: Set<String> = ["url", "eventTypes", "secret"]

    @Sendable func create(_ request: RouteRequest) async throws -> HTTPResponse {
        let body = try await request.jsonBody(limit: maxBodyBytes)
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
        response.headers[.location] = "/v1/webhooks/\(endpoint.id)"
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
        return HTTPResponse(statusCode: .noContent)
    }

    @Sendable func deliveries(_ request: RouteRequest) async throws -> HTTPResponse {
        let endpoint = try await endpoint(request)
        let limit = try request.pageLimit(limits)
        let deliveries = try await store.deliveries(endpointID: endpoint.id, limit: limit)
        return JSONResponse.make(statusCode: .ok, body: DeliveryList(deliveries: deliveries.map(DeliveryView.init)))
    }

    @Sendable func replay(_ request: RouteRequest) async throws -> HTTPResponse {
        let endpoint = try await endpoint(request)
        let body = try await request.jsonBody(limit: maxBodyBytes)
        guard case .object(let object) = body else {
            throw Problem.validation(FieldErrors([FieldError(pointer: "/", detail: "must be an object {\"since\": \"2026-11-23T00:00:00Z\"}, got \(body.typeName)")]))
        }
        var errors = JSONValue.unknownFields(object, allowed: ["since"])
        var since: Date?
        if case .string(let text)? = object["since"], let date = try? Date(text, strategy: .iso8601) {
            since = date
        } else {
            errors.append(FieldError(pointer: "/since", detail: "is required: an RFC 3339 date-time such as 2026-11-23T00:00:00Z"))
        }
        guard errors.isEmpty, let since else { throw Problem.validation(FieldErrors(errors)) }
        guard endpoint.enabled else {
            throw Problem(.conflict, detail: "webhook endpoint \(endpoint.id) is disabled (\(endpoint.disabledReason ?? "")); create a new subscription")
        }
        return JSONResponse.make(statusCode: .accepted, body: Replayed(replayed: try await store.replay(endpoint, since: since)))
    }
}
