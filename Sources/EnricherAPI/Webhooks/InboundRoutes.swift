import EnricherCore
import Enrichment
import HTTPCore
import Foundation

/// `POST /v1/inbound/catalog`: the catalog's own Standard-Webhooks-signed events (`entity.created`,
/// `entity.updated`, `entity.deleted`), so a catalog can integrate by sending webhooks alone. The
/// signature, not an API key, authenticates it. Each `webhook-id` is processed once.
struct InboundRoutes: Sendable {
    static let path = "/v1/inbound/catalog"

    let secrets: [WebhookSecret]
    let tolerance: Int64
    /// A delivery left "processing" this long (its process died) may be processed again: twice the
    /// longest a request may run, so a live one is never taken over.
    let takeover: Duration
    let entities: EntityRepository
    let jobs: JobStore
    let signal: WorkSignal
    let inbox: WebhookStore

    init(configuration: Configuration, entities: EntityRepository, jobs: JobStore, inbox: WebhookStore, signal: WorkSignal) {
        secrets = configuration.webhooks.inboundSecrets.compactMap(WebhookSecret.init)
        tolerance = Int64(configuration.webhooks.inboundTolerance)
        takeover = configuration.http.requestTimeout * 2
        self.entities = entities
        self.jobs = jobs
        self.signal = signal
        self.inbox = inbox
    }

    func register(in router: inout Router) {
        router.add(.POST, Self.path, access: .signature, receive)
    }

    enum EventType: String, CaseIterable {
        case created = "entity.created", updated = "entity.updated", deleted = "entity.deleted"
    }

    struct Receipt: Encodable {
        var webhookId: String
        /// processed, duplicate (already processed) or ignored (an event type Enricher does not use).
        var status: String
        @Nullable var type: String?
        @Nullable var entity: String?
        /// The enrichment job queued for an entity that awaits a lookup: new, or whose lookup was cleared.
        @Nullable var enrichmentJobId: String?
        /// When the update cleared the entity's lookup: a field it depends on changed and no cover was found.
        @Nullable var lookupReset: LookupResetView?
    }

    static func unauthorized(_ detail: String) -> Problem {
        Problem(.unauthorized, detail: detail, headers: ["WWW-Authenticate": #"Webhook realm="enricher""#])
    }

    @Sendable func receive(_ request: RouteRequest) async throws -> HTTPResponse {
        guard !secrets.isEmpty else {
            throw Self.unauthorized("inbound catalog webhooks are off: set ENRICHER_INBOUND_SECRET to the secret the catalog signs with")
        }
        let body = try request.rawJSONBody()
        let headers = request.http.headers
        let id = headers["webhook-id"]
        if let refusal = WebhookSignature.refusal(
            id: id, timestamp: headers["webhook-timestamp"], signature: headers["webhook-signature"],
            body: Array(body), secrets: secrets, tolerance: tolerance) {
            request.logger.warning("inbound webhook refused", metadata: ["reason": "\(refusal)"])
            throw Self.unauthorized("the delivery is not signed by the catalog: \(refusal)")
        }
        guard let id else { throw Self.unauthorized("missing webhook-id") }
        let (type, data) = try Self.envelope(try JSONValue.parse(body))
        switch try await inbox.claimInbound(id, takeover: takeover) {
        case .process: break
        case .duplicate:
            return JSONResponse.make(statusCode: .ok, body: Receipt(webhookId: id, status: "duplicate", type: type?.rawValue))
        case .busy:
            throw Problem(.conflict, detail: "webhook-id \(id) is being processed; send it again later")
        }
        let receipt: Receipt
        do {
            receipt = try await apply(id: id, type: type, data: data)
        } catch {
            // Not processed: let the catalog's retry do it.
            try? await inbox.releaseInbound(id)
            throw error
        }
        // Applied: from here on a retry must not apply it again (it would queue a second lookup), so a
        // failure to record it leaves the claim to be taken over later rather than released.
        try await inbox.finishInbound(id, type: type?.rawValue ?? "ignored", entity: receipt.entity)
        return JSONResponse.make(statusCode: .ok, body: receipt)
    }

    /// The event's type (nil: one Enricher does not use) and its `data`.
    static func envelope(_ body: JSONValue) throws -> (EventType?, JSONValue?) {
        guard case .object(let object) = body, case .string(let type)? = object["type"] else {
            throw Problem.validation(FieldErrors([FieldError(pointer: "/type", detail: "is required: \(EventType.allCases.map(\.rawValue).joined(separator: ", "))")]))
        }
        return (EventType(rawValue: type), object["data"])
    }

    func apply(id: String, type: EventType?, data: JSONValue?) async throws -> Receipt {
        guard let type else { return Receipt(webhookId: id, status: "ignored") }
        guard case .object(var object)? = data else {
            throw Problem.validation(FieldErrors([FieldError(pointer: "/data", detail: "is required: the entity, with its mediaType and id")]))
        }
        // The catalog's entity carries fields Enricher does not use; only those it does are read.
        object = object.filter { EntityInput.fields.contains($0.key) }
        if case .object(let cover)? = object["existingCover"] {
            object["existingCover"] = .object(cover.filter { $0.key == "url" })
        }
        let input: EntityInput
        switch EntityInput.read(.object(object), pointer: "/data") {
        case .success(let value): input = value
        case .failure(let errors): throw Problem.validation(errors)
        }
        guard let mediaType = input.mediaType, let entityID = input.id else {
            throw Problem.validation(FieldErrors([FieldError(pointer: "/data", detail: "needs mediaType (\(MediaType.list)) and id")]))
        }
        let key = EntityKey(mediaType: mediaType, id: entityID)
        if type == .deleted {
            _ = try await entities.delete(key)
            return Receipt(webhookId: id, status: "processed", type: type.rawValue, entity: key.description)
        }
        let draft: EntityDraft
        switch input.draft.validated(for: mediaType, pointerPrefix: "/data") {
        case .success(let value): draft = value
        case .failure(let errors): throw Problem.validation(errors)
        }
        let upserted = try await entities.upsert(key, draft)
        var jobID: String?
        // Never looked up (new, or its lookup just cleared), and the catalog has no cover of its own.
        if upserted.entity.status == .missing {
            jobID = try await jobs.create(keys: [key], force: false, callbackUrl: nil).id
            signal.wake()
        }
        return Receipt(webhookId: id, status: "processed", type: type.rawValue, entity: key.description, enrichmentJobId: jobID,
                       lookupReset: upserted.lookupReset.map { LookupResetView($0, jobID: jobID) })
    }
}
