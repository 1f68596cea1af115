import Foundation

/// A request to send a subscription the events of a time range again (`webhook_replays`). The API only
/// records it; a background runner pages through the events by (timestamp, id), saving its cursor after
/// each page, so a replay holds at most one page in memory and survives a restart. Its range ends when
/// it was asked for, so it ends.
public struct WebhookReplay: Sendable, Equatable, Codable {
    public enum Status: String, Sendable, Codable {
        /// Recorded, not yet taken by a runner.
        case scheduled
        case running
        /// Every event in the range was handled.
        case completed
        /// The subscription was deleted or disabled before the replay ended.
        case cancelled
    }

    /// The last event handled: the next page starts after it.
    public struct Cursor: Sendable, Equatable, Codable {
        public var timestamp: Date
        public var eventID: String

        enum CodingKeys: String, CodingKey {
            case timestamp
            case eventID = "eventId"
        }
    }

    /// What one page did.
    struct Page: Sendable, Equatable {
        /// Events read (at most the page size; fewer means the range is done).
        var events: Int
        var queued: Int
        var inFlight: Int
        var last: Cursor?
    }

    public var id: String
    public var endpointID: String
    public var since: Date
    /// When the replay was asked for: later events are not part of it.
    public var until: Date
    public var status: Status
    public var cursor: Cursor?
    /// Events whose delivery was queued again.
    public var queued: Int
    /// Events whose delivery was being sent when the replay reached them: left alone, since resetting it
    /// would send it a second time at once.
    public var inFlight: Int
    public var createdAt: Date
    public var updatedAt: Date
    public var finishedAt: Date?
    public var detail: String?
    /// The runner holding it, until `leaseUntil`.
    var owner: String?
    var leaseUntil: Date?

    enum CodingKeys: String, CodingKey {
        case id = "_id"
        case endpointID = "endpointId"
        case since, until, status, cursor, queued, inFlight, createdAt, updatedAt, finishedAt, detail, owner, leaseUntil
    }

    public var isActive: Bool { status == .scheduled || status == .running }

    static func scheduled(id: String, endpointID: String, since: Date, now: Date) -> WebhookReplay {
        WebhookReplay(id: id, endpointID: endpointID, since: since, until: now, status: .scheduled, cursor: nil, queued: 0, inFlight: 0,
                      createdAt: now, updatedAt: now, finishedAt: nil, detail: nil, owner: nil, leaseUntil: nil)
    }

    /// Taken by `owner` until `now + lease`.
    mutating func claim(owner: String, lease: Duration, now: Date) {
        self.owner = owner
        status = .running
        renew(lease: lease, now: now)
    }

    mutating func renew(lease: Duration, now: Date) {
        leaseUntil = now.addingTimeInterval(lease.seconds)
        updatedAt = now
    }

    /// Whether the lease is past half its time: renew it before another runner may take it over.
    func leaseRunsLow(lease: Duration, now: Date) -> Bool {
        guard let leaseUntil else { return true }
        return leaseUntil.timeIntervalSince(now) < lease.seconds / 2
    }

    /// Moves past a page; a page shorter than `pageSize` was the last.
    mutating func advance(by page: Page, pageSize: Int, now: Date) {
        if let last = page.last { cursor = last }
        queued += page.queued
        inFlight += page.inFlight
        updatedAt = now
        if page.events < pageSize { finish(.completed, detail: nil, now: now) }
    }

    mutating func cancel(detail: String, now: Date) {
        finish(.cancelled, detail: detail, now: now)
    }

    private mutating func finish(_ status: Status, detail: String?, now: Date) {
        self.status = status
        self.detail = detail
        finishedAt = now
        updatedAt = now
        owner = nil
        leaseUntil = nil
    }
}
