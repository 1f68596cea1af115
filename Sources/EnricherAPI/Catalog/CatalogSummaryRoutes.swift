import EnricherCore
import Foundation
import HTTPCore

/// `GET /v1/catalog/summary`: the catalog at a glance for the status page: entities by media type and
/// status, the most common failure reasons, and the covers stored last. Each part is a bounded number
/// of indexed reads, whatever the catalog's size.
struct CatalogSummaryRoutes: Sendable {
    let entities: EntityRepository
    let covers: CoverStore
    let limits: Configuration.Limits

    func register(in router: inout Router) {
        router.add(.GET, "/v1/catalog/summary", summary)
    }

    struct Counts: Encodable {
        var total: Int
        var byStatus: [String: Int]
    }

    struct Entities: Encodable {
        var total: Int
        var byStatus: [String: Int]
        var byMediaType: [String: Counts]
    }

    struct FailureGroup: Encodable {
        @Nullable var reason: String?
        var count: Int
        var permanent: Bool
        var mediaTypes: [MediaType]
        @Nullable var lastLookupAt: Date?
    }

    struct Failures: Encodable {
        /// How many failed entities were grouped: all of them, or `ENRICHER_SUMMARY_FAILURE_SAMPLE`.
        var examined: Int
        var sample: Int
        var groups: [FailureGroup]
    }

    struct Shown: Encodable {
        var mediaType: MediaType
        var id: String
        @Nullable var title: String?
    }

    struct Cover: Encodable {
        var id: String
        var width: Int
        var height: Int
        var createdAt: Date
        /// The original: `/v1/images/{id}`.
        var url: String
        /// The smallest picture stored for it (a rendition such as `thumb`, else the original).
        var thumbnailUrl: String
        /// One entity showing it; null when none does any more.
        @Nullable var entity: Shown?
    }

    struct Summary: Encodable {
        var generatedAt: Date
        var entities: Entities
        var failures: Failures
        var latestCovers: [Cover]
    }

    @Sendable func summary(_ request: RouteRequest) async throws -> HTTPResponse {
        let maximum = limits.listMaxLimit
        let coverCount = try request.integer("covers", in: 0...maximum, default: min(12, maximum))
        let reasonCount = try request.integer("reasons", in: 1...maximum, default: min(20, maximum))
        async let counts = entities.countsByMediaTypeAndStatus()
        async let failures = entities.failureGroups(sample: limits.summaryFailureSample, limit: reasonCount)
        async let latest = covers.latest(limit: coverCount)
        let stored = try await latest
        let shown = try await entities.showing(covers: stored.map(\.id))
        let views = stored.map { cover in
            let smallest = cover.files.min { $0.width < $1.width }?.name ?? StoredCover.originalName
            return Cover(id: cover.id, width: cover.width, height: cover.height, createdAt: cover.createdAt, url: "/v1/images/\(cover.id)",
                         thumbnailUrl: smallest == StoredCover.originalName ? "/v1/images/\(cover.id)" : "/v1/images/\(cover.id)/\(smallest)",
                         entity: shown[cover.id].map { Shown(mediaType: $0.mediaType, id: $0.id, title: $0.draft.title) })
        }
        let (examined, groups) = try await failures
        return JSONResponse.make(statusCode: .ok, body: Summary(
            generatedAt: Date(), entities: Self.entities(try await counts),
            failures: Failures(examined: examined, sample: limits.summaryFailureSample, groups: groups.map {
                FailureGroup(reason: $0.reason, count: $0.count, permanent: $0.permanent, mediaTypes: $0.mediaTypes, lastLookupAt: $0.lastLookupAt)
            }),
            latestCovers: views))
    }

    /// Totals per media type and per status, every status named (zero included) so a table has no holes.
    static func entities(_ counts: [MediaType: [EntityStatus: Int]]) -> Entities {
        var byStatus = Dictionary(uniqueKeysWithValues: EntityStatus.allCases.map { ($0.rawValue, 0) })
        var byMediaType: [String: Counts] = [:]
        for mediaType in MediaType.allCases {
            let row = counts[mediaType] ?? [:]
            var named: [String: Int] = [:]
            for status in EntityStatus.allCases {
                named[status.rawValue] = row[status] ?? 0
                byStatus[status.rawValue, default: 0] += row[status] ?? 0
            }
            byMediaType[mediaType.rawValue] = Counts(total: named.values.reduce(0, +), byStatus: named)
        }
        return Entities(total: byStatus.values.reduce(0, +), byStatus: byStatus, byMediaType: byMediaType)
    }
}
