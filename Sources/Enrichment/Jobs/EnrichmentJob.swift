import EnricherCore
import Foundation

/// How one entity of a job ended.
public enum TaskOutcome: String, Sendable, Codable, CaseIterable {
    /// A cover was stored (or a larger one was already there).
    case found
    /// Every source answered; none had a usable image.
    case notFound
    /// No cover, and at least one source failed (timeout, server error, configuration): a forced run may succeed.
    case failed
    /// Nothing to search with (no identifier, no title); never retried.
    case permanent
    /// Not looked up: already looked up (without `force`) or a permanent failure.
    case skipped
    /// Every source that might have had it asked us to slow down, more often than the job waits for;
    /// the entity is left unmarked so a later run looks it up.
    case deferred

    /// The entity reached a final state (what `enrichment.entity.completed` reports).
    public var isFinal: Bool { [.found, .notFound, .failed, .permanent].contains(self) }
}

/// Per-outcome counts of a job; `queued` is work not finished yet.
public struct JobCounts: Sendable, Equatable, Codable {
    public var queued = 0
    public var found = 0
    public var notFound = 0
    public var failed = 0
    public var permanent = 0
    public var skipped = 0
    public var deferred = 0

    public init() {}

    public var total: Int { queued + finished }
    public var finished: Int { found + notFound + failed + permanent + skipped + deferred }

    subscript(outcome: TaskOutcome) -> Int {
        get {
            switch outcome {
            case .found: found
            case .notFound: notFound
            case .failed: failed
            case .permanent: permanent
            case .skipped: skipped
            case .deferred: deferred
            }
        }
        set {
            switch outcome {
            case .found: found = newValue
            case .notFound: notFound = newValue
            case .failed: failed = newValue
            case .permanent: permanent = newValue
            case .skipped: skipped = newValue
            case .deferred: deferred = newValue
            }
        }
    }
}

/// Which due work workers take first: on-demand requests go ahead of scans; both share the same limits.
public enum JobPriority: Int, Sendable, Codable {
    case onDemand = 0
    case scan = 1
}

/// A request to enrich a set of entities, as stored.
public struct EnrichmentJob: Sendable, Equatable {
    public enum Status: String, Sendable, Codable { case running, completed }

    public var id: String
    public var status: Status
    public var force: Bool
    public var callbackUrl: String?
    public var total: Int
    public var createdAt: Date
    public var completedAt: Date?

    /// How far along it is with `counts`, in whole percent (an empty job is done).
    public func percent(_ counts: JobCounts) -> Int {
        total == 0 ? 100 : counts.finished * 100 / total
    }
}

/// One entity's place in a job.
public struct JobItem: Sendable, Equatable {
    public enum State: String, Sendable, Codable { case queued, done }

    public var key: EntityKey
    public var state: State
    public var outcome: TaskOutcome?
    /// What happened, in words (the failure reason, or why it was skipped).
    public var detail: String?
    public var attempts: Int
    public var finishedAt: Date?
}

/// Queued work a worker holds a lease on.
public struct ClaimedTask: Sendable, Equatable {
    /// The task's own id.
    public var id: String
    /// The claim's token: the lease is held while the task's `owner` is this.
    public var owner: String
    public var jobID: String
    public var key: EntityKey
    public var force: Bool
    public var priority: JobPriority
    /// How many times the task has been claimed, this time included (more than one: a worker died or
    /// the entity was throttled before).
    public var attempts: Int
    public var deferrals: Int
    /// When its job was created: an entity looked up after this was already done for this job.
    public var jobCreatedAt: Date
    /// Earlier attempts that were started and never ended (the worker crashed, its processing failed,
    /// or it lost the lease): at `ENRICHER_JOB_MAX_ATTEMPTS` the task is finished as failed.
    public var failures: Int = 0
    /// What is known of the last of them: the error a worker caught, or when the attempt that never
    /// ended had started.
    public var lastFailure: String? = nil
    /// How far the lookup got before it was postponed to wait for a provider's budget; nil: from the start.
    public var progress: LookupProgress? = nil

    /// This claim of this task, and no other (a claim's `owner` is shared by the tasks claimed together):
    /// the token the entity's lookup is fenced with.
    public var fenceToken: String { "\(owner)/\(id)" }
}

/// `prefix` and 20 random base-32 characters (100 bits): ids of jobs and scans.
func randomID(prefix: String) -> String {
    let alphabet = Array("abcdefghijklmnopqrstuvwxyz234567")
    return prefix + String((0..<20).map { _ in alphabet.randomElement()! })
}
