import EnricherCore
import Enrichment
import Foundation

/// Queues a lookup for entities a catalog write cleared (a field the lookup depends on changed while the
/// last lookup had found no cover), the way the inbound webhook queues one for a new entity: one
/// on-demand job, the workers woken.
struct LookupRequeue: Sendable {
    let jobs: JobStore
    let signal: WorkSignal

    /// The job over those of `resets` that await a lookup (not those whose catalog has a cover), nil when none does.
    func queue(_ resets: [(key: EntityKey, reset: EntityRepository.LookupReset)]) async throws -> String? {
        let keys = resets.filter(\.reset.awaitsLookup).map(\.key)
        guard !keys.isEmpty else { return nil }
        let job = try await jobs.create(keys: keys, force: false, callbackUrl: nil)
        signal.wake()
        return job.id
    }
}

/// What an answer says about a lookup a catalog write cleared.
struct LookupResetView: Encodable {
    /// The fields that changed (`isbn`, `barcode`, `title`, `year`, `imageUrl`).
    var changed: [String]
    /// The lookup cleared.
    var previousLookup: ImageLookup
    /// The job looking the entity up again; null when the catalog has its own cover (nothing queued).
    @Nullable var enrichmentJobId: String?

    init(_ reset: EntityRepository.LookupReset, jobID: String?) {
        changed = reset.changed
        previousLookup = reset.previous
        enrichmentJobId = reset.awaitsLookup ? jobID : nil
    }
}

/// An entity as `PUT` answers it: the entity, and `lookupReset` (null unless the write cleared its lookup).
struct EntityAnswer: Encodable {
    var entity: Entity
    var lookupReset: LookupResetView?

    enum CodingKeys: String, CodingKey { case lookupReset }

    func encode(to encoder: any Encoder) throws {
        try entity.encode(to: encoder)
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(lookupReset, forKey: .lookupReset) // explicit null: nothing cleared
    }
}
