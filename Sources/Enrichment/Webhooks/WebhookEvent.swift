import BSON
import EnricherCore
import Foundation

/// What Enricher tells receivers about.
public enum WebhookEventType: String, Sendable, CaseIterable, Codable {
    /// An entity reached a final state: found, notFound, failed or permanent.
    case entityCompleted = "enrichment.entity.completed"
    /// An enrichment job finished, with its counts.
    case jobCompleted = "enrichment.job.completed"

    public static var list: String { allCases.map(\.rawValue).joined(separator: ", ") }
}

/// An event as the outbox holds it: its JSON body is made once, so every delivery and every retry of
/// it sends the same bytes.
public struct WebhookEvent: Sendable, Equatable {
    /// Stable: the same state change always makes the same id (`evt_...`).
    public var id: String
    public var type: WebhookEventType
    public var timestamp: Date
    /// `{"type", "timestamp", "data"}`.
    public var body: String
    /// The job it belongs to, whose callback it goes to.
    public var jobID: String

    var document: BSONDocument {
        ["id": .string(id), "type": .string(type.rawValue), "timestamp": .date(timestamp), "body": .string(body), "jobId": .string(jobID)]
    }

    init?(document: BSONDocument?) {
        guard let document, let id = document["id"]?.stringValue,
              let type = document["type"]?.stringValue.flatMap(WebhookEventType.init(rawValue:)),
              let timestamp = document["timestamp"]?.dateValue, let body = document["body"]?.stringValue,
              let jobID = document["jobId"]?.stringValue else { return nil }
        self.init(id: id, type: type, timestamp: timestamp, body: body, jobID: jobID)
    }

    init(id: String, type: WebhookEventType, timestamp: Date, body: String, jobID: String) {
        self.id = id
        self.type = type
        self.timestamp = timestamp
        self.body = body
        self.jobID = jobID
    }
}

/// Makes events, with image URLs made absolute under the service's public URL.
public struct WebhookEvents: Sendable {
    public let publicURL: String

    public init(publicURL: String) {
        self.publicURL = publicURL
    }

    struct Envelope<Data: Encodable>: Encodable {
        var type: String
        var timestamp: Date
        var data: Data
    }

    struct EntityCompleted: Encodable {
        var mediaType: String
        var entityId: String
        var outcome: String
        /// The entity's status afterwards (`found`, `failed`, `permanent`, or `present` when the catalog has
        /// its own cover); null when the entity could not be read.
        @Nullable var status: EntityStatus?
        @Nullable var coverImage: CoverImage?
        @Nullable var imageLookup: ImageLookup?
        var jobId: String
    }

    struct JobCompleted: Encodable {
        var jobId: String
        var total: Int
        var counts: JobCounts
        var createdAt: Date
        var completedAt: Date
    }

    func make<Data: Encodable>(id: String, type: WebhookEventType, jobID: String, data: Data, now: Date) throws -> WebhookEvent {
        let body = try EnricherJSON.encoder.encode(Envelope(type: type.rawValue, timestamp: now, data: data))
        return WebhookEvent(id: id, type: type, timestamp: now, body: String(decoding: body, as: UTF8.self), jobID: jobID)
    }

    /// `enrichment.entity.completed` for a task that ended in a final state (found, notFound, failed, permanent).
    public func entityCompleted(_ task: ClaimedTask, outcome: TaskOutcome, entity: Entity?, now: Date = Date()) throws -> WebhookEvent {
        var cover = entity?.coverImage
        if let renditions = cover?.renditions {
            cover?.renditions = renditions.map { rendition in
                var absolute = rendition
                absolute.url = rendition.url.hasPrefix("/") ? publicURL + rendition.url : rendition.url
                return absolute
            }
        }
        let data = EntityCompleted(mediaType: task.key.mediaType.rawValue, entityId: task.key.id, outcome: outcome.rawValue,
                                   status: entity?.status, coverImage: cover, imageLookup: entity?.imageLookup, jobId: task.jobID)
        return try make(id: "evt_" + task.id.replacingOccurrences(of: "/", with: "_"), type: .entityCompleted, jobID: task.jobID, data: data, now: now)
    }

    /// The id of a job's `enrichment.job.completed` event.
    public static func jobCompletedID(_ jobID: String) -> String { "evt_\(jobID)" }

    /// `enrichment.job.completed` with the job's counts.
    public func jobCompleted(_ job: EnrichmentJob, counts: JobCounts, now: Date = Date()) throws -> WebhookEvent {
        try make(id: Self.jobCompletedID(job.id), type: .jobCompleted, jobID: job.id,
                 data: JobCompleted(jobId: job.id, total: job.total, counts: counts, createdAt: job.createdAt, completedAt: now), now: now)
    }
}
