import EnricherCore
import Foundation
import Logging

/// Finds, checks, stores and records one entity's cover, by the catalog's rules:
/// - the entity's own `imageUrl` first; providers are not asked when it works;
/// - then its media type's chain, candidates in order: the first that passes the checks wins, or in
///   `best` mode the largest valid image of the whole chain;
/// - nothing to search with (no identifier, no title) -> a permanent failure;
/// - the catalog has its own cover (`existingCover`) -> not looked up unless forced;
/// - nothing found -> `imageLookup.failureReason` says what each source answered, and `retryAt` when
///   the retry schedule makes it due again (a due entity is looked up without force);
/// - every source that might have had it throttled -> the entity is left unmarked, to be retried;
/// - a re-run never replaces a cover with a smaller one.
public struct EnrichmentEngine: Sendable {
    public enum Selection: Sendable { case first, best }

    let providers: ProviderRegistry
    let chains: ProviderChains
    let downloader: CandidateDownloader
    let library: CoverLibrary
    let entities: EntityRepository
    let selection: Selection
    /// Longest a lookup waits for a provider's free slot before it is postponed; nil: it always waits.
    let budgetWait: Duration?
    /// When a lookup that found no cover is due again.
    let retries: LookupRetrySchedule
    let logger: Logger

    public init(providers: ProviderRegistry, chains: ProviderChains,
                downloader: CandidateDownloader, library: CoverLibrary, entities: EntityRepository, selection: Selection,
                budgetWait: Duration? = nil, retries: LookupRetrySchedule = .never, logger: Logger) {
        self.budgetWait = budgetWait
        self.retries = retries
        self.providers = providers
        self.chains = chains
        self.downloader = downloader
        self.library = library
        self.entities = entities
        self.selection = selection
        self.logger = logger
    }

    /// The label of the entity's own image URL in `failureReason` and `coverImage.provider`.
    public static let ownImageSource = "imageUrl"

    /// Looks the entity up and records the result on it, or resumes a lookup that stopped to wait for a
    /// provider's budget where it stopped. Throws `LookupPostponed` when the next provider's budget has no
    /// slot within `budgetWait` (nothing recorded; resume with its progress), `LookupInterrupted` when our
    /// own side failed during it (our database, HTTP client or image threads; nothing recorded: it is to
    /// be done again), and otherwise only for database failures and cancellation, in which case nothing
    /// was recorded.
    /// `fence`: the claim token the entity's lookup is fenced with (see `EntityRepository.fenceLookup`).
    public func enrich(_ entity: Entity, force: Bool, resuming: LookupProgress? = nil, fence: String? = nil,
                       now: @Sendable () -> Date = Date.init) async throws -> EnrichmentOutcome {
        if let skipped = Self.skipReason(entity, force: force, now: now()) { return .skipped(reason: skipped) }
        var logger = self.logger
        logger[metadataKey: "entity"] = "\(entity.key)"
        var progress = resuming ?? LookupProgress()

        if let url = entity.draft.imageUrl, !progress.asked.contains(Self.ownImageSource) {
            progress.asked.append(Self.ownImageSource)
            switch await downloader.fetch(url, provider: nil, throttleStatuses: []) {
            case .success(let accepted):
                return try await record(found: accepted, for: entity, now: now(), fence: fence, logger: logger)
            case .failure(let refusal) where refusal.kind == .interrupted:
                throw LookupInterrupted(reason: "\(Self.ownImageSource): \(refusal.reason)")
            case .failure(let refusal):
                progress.report.add(Self.ownImageSource, refusal)
            }
        }

        let query = LookupQuery(entity)
        guard query.identifier != nil || query.title != nil else {
            var reason = "no \(entity.mediaType.identifier == .isbn ? "ISBN" : "barcode") and no title to search with"
            if !progress.report.answers.isEmpty { reason += "; " + progress.report.summary }
            let lookup = ImageLookup(lookupAttemptedAt: now(), failureReason: reason, permanentFailure: true,
                                     attempts: ImageLookup.misses(before: entity.imageLookup) + 1, sources: progress.report.sources)
            try Task.checkCancellation()
            try await record(entity, coverImage: entity.coverImage, lookup: lookup, fence: fence)
            return .permanent(reason: reason)
        }

        let context = providers.makeContext(known: progress.products)
        var accepted: [AcceptedImage] = []
        chain: for id in chains[entity.mediaType] {
            guard let provider = providers.enabled[id], provider.mediaTypes.contains(entity.mediaType),
                  !progress.asked.contains(id.rawValue) else { continue }
            try Task.checkCancellation()
            // A provider with no free slot soon: the worker takes other work meanwhile (not after a find
            // in `best` mode, which would have to be downloaded again).
            if let budgetWait, accepted.isEmpty, let comeBack = await providers.guards[id]?.budget.admission(within: budgetWait) {
                progress.products = await context.products()
                logger.debug("waiting for the provider's budget; postponed", metadata: [
                    "provider": "\(id.rawValue)", "until": "\(Self.timestamp(comeBack))",
                ])
                throw LookupPostponed(provider: id, until: comeBack, progress: progress)
            }
            progress.asked.append(id.rawValue)
            let candidates: [ImageCandidate]
            do {
                candidates = try await providers.lookUp(id, provider, query: query, context: context)
            } catch .interrupted(let detail) {
                throw LookupInterrupted(reason: "\(id.rawValue): \(detail)")
            } catch {
                progress.report.add(id.rawValue, error)
                logger.debug("provider answered", metadata: ["provider": "\(id.rawValue)", "answer": "\(error)"])
                continue
            }
            var refusals: [CandidateRefusal] = []
            for candidate in candidates {
                try Task.checkCancellation()
                switch await downloader.fetch(candidate.url, provider: id, throttleStatuses: provider.imageThrottleStatuses) {
                case .success(let image):
                    accepted.append(image)
                    if selection == .first { break chain }
                    continue chain
                case .failure(let refusal) where refusal.kind == .interrupted:
                    throw LookupInterrupted(reason: "\(id.rawValue): \(refusal.reason)")
                case .failure(let refusal):
                    refusals.append(refusal)
                }
            }
            progress.report.add(id.rawValue, refusals: refusals)
        }
        try Task.checkCancellation()
        let report = progress.report

        if let best = selection == .first ? accepted.first : accepted.max(by: { $0.pixels < $1.pixels }) {
            return try await record(found: best, for: entity, now: now(), fence: fence, logger: logger)
        }
        if report.throttled {
            logger.info("every source that might have it throttled; left for a later run", metadata: ["answers": "\(report.summary)"])
            return .deferred(retryAfter: report.retryAfter, reason: report.summary)
        }
        let reason = report.answers.isEmpty ? "no provider is enabled for \(entity.mediaType.rawValue)" : report.summary
        let failed = report.failed || report.answers.isEmpty
        let lookup = missLookup(failed ? .failed : .notFound, reason: reason, sources: report.sources, for: entity, now: now())
        try await record(entity, coverImage: entity.coverImage, lookup: lookup, fence: fence)
        logger.info("no cover found", metadata: ["answers": "\(reason)", "retryAt": "\(lookup.retryAt.map(Self.timestamp) ?? "never")"])
        return failed ? .failed(reason: reason) : .notFound(reason: reason)
    }

    /// Stores the image (unless the entity already has a larger cover) and records the find.
    private func record(found accepted: AcceptedImage, for entity: Entity, now: Date, fence: String?, logger: Logger) async throws -> EnrichmentOutcome {
        try Task.checkCancellation()
        let lookup = ImageLookup(lookupAttemptedAt: now, failureReason: nil, permanentFailure: false)
        if let existing = entity.coverImage, existing.width * existing.height > accepted.pixels {
            try await record(entity, coverImage: existing, lookup: lookup, fence: fence)
            logger.info("kept the larger existing cover", metadata: [
                "existing": "\(existing.width)x\(existing.height)", "found": "\(accepted.image.width)x\(accepted.image.height)",
            ])
            return .found(existing)
        }
        let stored: (cover: StoredCover, created: Bool)
        do {
            stored = try await library.publish(accepted.bytes, sha256: accepted.image.sha256, now: now)
        } catch let failure as CoverLibrary.ProcessingFailure {
            let reason = "\(accepted.provider?.rawValue ?? Self.ownImageSource): \(failure)"
            let sources = [accepted.provider?.rawValue ?? Self.ownImageSource]
            try await record(entity, coverImage: entity.coverImage, lookup: missLookup(.failed, reason: reason, sources: sources, for: entity, now: now),
                             fence: fence)
            return .failed(reason: reason)
        }
        let cover = CoverImage(stored.cover, provider: accepted.provider?.rawValue ?? Self.ownImageSource, sourceUrl: accepted.url, createdAt: now)
        try await record(entity, coverImage: cover, lookup: lookup, fence: fence)
        logger.info("cover stored", metadata: [
            "provider": "\(cover.provider)", "size": "\(cover.width)x\(cover.height)", "bytes": "\(cover.bytes)", "new": "\(stored.created)",
            "cover": "\(cover.id)",
        ])
        return .found(cover)
    }

    private func record(_ entity: Entity, coverImage: CoverImage?, lookup: ImageLookup, fence: String?) async throws {
        try await entities.recordLookup(entity.key, coverImage: coverImage, imageLookup: lookup,
                                        existingCover: entity.draft.existingCover != nil, fence: fence)
    }

    /// Why the entity is not looked up now, or nil when it is: without `force`, an entity whose catalog has
    /// its own cover, and one looked up before unless its retry is due; a permanent failure even with force.
    static func skipReason(_ entity: Entity, force: Bool, now: Date) -> String? {
        if let lookup = entity.imageLookup, lookup.permanentFailure {
            return "permanent failure: \(lookup.failureReason ?? "nothing to search with")"
        }
        guard !force else { return nil }
        if entity.draft.existingCover != nil {
            return "the catalog has its own cover (existingCover); use force to look for one anyway"
        }
        guard let lookup = entity.imageLookup else { return nil }
        if let retryAt = lookup.retryAt {
            if retryAt <= now { return nil }
            return "already looked up at \(timestamp(lookup.lookupAttemptedAt)); due again at \(timestamp(retryAt)), or use force to look now"
        }
        return "already looked up at \(timestamp(lookup.lookupAttemptedAt)); use force to look again"
    }

    /// The record of a lookup that found no cover, counted after the entity's last one and due again as
    /// the retry schedule says.
    func missLookup(_ miss: LookupRetrySchedule.Miss, reason: String, sources: [String] = [], for entity: Entity, now: Date) -> ImageLookup {
        .miss(miss, reason: reason, sources: sources, after: entity.imageLookup, schedule: retries, now: now)
    }

    static func timestamp(_ date: Date) -> String {
        date.formatted(.iso8601)
    }
}

/// What each source answered, gathered into `failureReason`.
struct LookupReport: Equatable, Codable {
    private(set) var answers: [String] = []
    /// The sources that answered without a cover, in the order asked (`imageLookup.sources`).
    private(set) var sources: [String] = []
    /// Some source throttled: it might have had the cover.
    private(set) var throttled = false
    /// The longest wait a throttling source asked for.
    private(set) var retryAfter: Duration?
    /// Some source failed (timeout, server error, configuration).
    private(set) var failed = false

    var summary: String { answers.joined(separator: "; ") }

    mutating func add(_ source: String, _ failure: ProviderFailure) {
        switch failure {
        case .notFound: break
        case .throttled(let wait): noteThrottle(wait)
        case .circuitOpen(let wait): noteThrottle(wait)
        case .transient, .configuration, .titleSourceUnavailable, .interrupted: failed = true
        }
        note(source)
        answers.append("\(source): \(failure)")
    }

    mutating func add(_ source: String, _ refusal: CandidateRefusal) {
        add(source, refusals: [refusal])
    }

    /// A provider whose candidates were all refused (or who had none).
    mutating func add(_ source: String, refusals: [CandidateRefusal]) {
        note(source)
        guard !refusals.isEmpty else {
            answers.append("\(source): no image candidates")
            return
        }
        for refusal in refusals {
            switch refusal.kind {
            case .unusable: break
            case .throttled(let wait): noteThrottle(wait)
            case .transient, .interrupted: failed = true
            }
        }
        let shown = refusals.prefix(3).map(\.reason).joined(separator: ", ")
        let more = refusals.count > 3 ? " and \(refusals.count - 3) more" : ""
        answers.append(refusals.count == 1 && source == EnrichmentEngine.ownImageSource
            ? "\(source): \(shown)"
            : "\(source): \(refusals.count) image\(refusals.count == 1 ? "" : "s") refused (\(shown)\(more))")
    }

    private mutating func note(_ source: String) {
        if !sources.contains(source) { sources.append(source) }
    }

    private mutating func noteThrottle(_ wait: Duration?) {
        throttled = true
        if let wait { retryAfter = max(retryAfter ?? wait, wait) }
    }

    private enum CodingKeys: String, CodingKey { case answers, sources, throttled, retryAfterMilliseconds, failed }

    init() {}

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        answers = try container.decode([String].self, forKey: .answers)
        // Progress saved before sources were kept has none: the answers name them.
        sources = try container.decodeIfPresent([String].self, forKey: .sources) ?? []
        throttled = try container.decode(Bool.self, forKey: .throttled)
        failed = try container.decode(Bool.self, forKey: .failed)
        retryAfter = try container.decodeIfPresent(Int64.self, forKey: .retryAfterMilliseconds).map { .milliseconds($0) }
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(answers, forKey: .answers)
        try container.encode(sources, forKey: .sources)
        try container.encode(throttled, forKey: .throttled)
        try container.encode(failed, forKey: .failed)
        try container.encodeIfPresent(retryAfter.map { Int64($0.seconds * 1000) }, forKey: .retryAfterMilliseconds)
    }
}

extension LookupQuery {
    /// What an entity offers to search with.
    public init(_ entity: Entity) {
        let draft = entity.draft
        self.init(mediaType: entity.mediaType, isbn: draft.isbn, barcode: draft.barcode, title: draft.title,
                  authors: draft.authors ?? [], artist: draft.artist, platform: draft.platform, year: draft.year)
    }
}
