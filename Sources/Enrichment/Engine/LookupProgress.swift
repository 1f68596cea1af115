import Foundation

/// How far an entity's lookup got before it stopped to wait for a provider's budget: the sources
/// already asked, what they answered, and the products the barcode database returned. Kept on the task
/// while it waits, so the lookup resumes where it stopped and asks no source twice.
public struct LookupProgress: Sendable, Equatable, Codable {
    /// Sources asked so far, in order: `imageUrl` and provider names.
    public var asked: [String] = []
    var report = LookupReport()
    /// What the barcode database said, by barcode.
    public var products: [String: Product] = [:]

    public init() {}
}

/// The lookup stopped before asking `provider`, whose budget has no free slot within the time a worker
/// may wait (`ENRICHER_JOB_BUDGET_WAIT_MS`): the task goes back to the queue, due `until`, with
/// `progress`, and the worker takes other work. Waiting for our own budget is not a throttle: nothing is
/// recorded and it is not a deferral.
public struct LookupPostponed: Error, Sendable, Equatable {
    public var provider: ProviderID
    public var until: Date
    public var progress: LookupProgress
}

/// The lookup was cut short by a fault of ours (our database, our HTTP client or image threads, a
/// shutdown), not by the provider: nothing was recorded, and the task is put back to be done again.
public struct LookupInterrupted: Error, Sendable, Equatable, CustomStringConvertible {
    public var reason: String
    public var description: String { "lookup interrupted by our side: \(reason)" }
}
