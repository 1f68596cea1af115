import BSON
import EnricherCore
import Foundation
import Logging
import MongoDB
import Resilience

/// A provider's request budget, shared by every instance on the database: the limiter's state (when
/// the next slot is free, and any pause a throttle answer asked for) lives in MongoDB
/// (`provider_budgets`, one document per budget and egress identity), so N instances behind one IP never
/// exceed the provider's limit in sum. Slots are reserved with conditional updates, several in one round
/// trip when several requests wait, and spaced by the limit's interval plus a safety margin so that
/// arrivals at the provider keep their distance whatever the delay between a slot and its request.
/// Slot times are wall-clock milliseconds: instances sharing a budget need synchronised clocks (NTP).
/// Waits over a second and pauses are logged at notice once per occurrence, not once per waiting request.
public actor ProviderBudget {
    public static let collectionName = "provider_budgets"

    /// The budget's name: a provider (`musicbrainz`) or a host of one (`openlibrary-covers`).
    public nonisolated let name: String
    /// The document's id: the name and the egress identity (`musicbrainz@shared`).
    public nonisolated let key: String
    public nonisolated let configuration: RateLimiter.Configuration
    private let collection: MongoCollection
    private var waiting: [(continuation: CheckedContinuation<Reservation, any Error>, longestPause: Duration)] = []
    private var reserving = false
    /// Requests whose slots are being reserved right now (taken from `waiting`).
    private var inReservation = 0
    /// The state last read or written, for status when the database does not answer.
    private var lastSeen: RateLimiter
    /// Slots of a fast budget reserved ahead (at most 100 ms' worth), earliest first, so that a
    /// provider allowing many calls a second does not cost a round trip each.
    private var ahead: [Reservation] = []
    private let prefetch: Int
    /// The document as this instance last read or wrote it: a reservation first assumes it unchanged
    /// (one round trip, the common case), and reads it only when another instance changed it.
    private var known: (arrival: Int64, paused: Int64)?
    /// How long a reservation's round trip took lately: slots are reserved at least twice that far
    /// ahead, so a request does not find its slot already past when the answer comes back.
    private var lead: Duration = .zero
    /// The slot after those of the requests told to come back later (`admission(within:)`): the next
    /// one told so comes back after them.
    private var comeBackHorizon: Date?
    private let logger: Logger
    /// The last wait over a second: a wait over a second after a quiet spell starts a new occurrence (logged).
    private var lastLongWait: Date?
    /// The end of the pause this instance last logged: a pause asked for while one lasts is the same one.
    private var loggedPauseUntil: Date?

    /// Slots reserved in one round trip at most.
    static let batch = 8
    /// Conditional updates lost to other instances before giving up on a reservation.
    static let attempts = 50

    public init(name: String, egress: String, configuration: RateLimiter.Configuration, database: MongoDatabase, logger: Logger) {
        self.name = name
        self.logger = logger
        key = "\(name)@\(egress)"
        self.configuration = configuration
        collection = database.collection(Self.collectionName)
        lastSeen = RateLimiter(configuration: configuration)
        let perSecond = Double(configuration.rate.count) / max(0.001, Double(configuration.rate.period.components.seconds)
            + Double(configuration.rate.period.components.attoseconds) / 1e18)
        prefetch = min(Self.batch, Int(perSecond / 10))
    }

    /// The database could not be asked for a slot: our fault, not the provider's.
    public struct Unavailable: Error, CustomStringConvertible {
        public let description: String
    }

    /// The provider asked every instance to pause for longer than a request should wait (a long
    /// Retry-After, a used-up daily quota): the caller treats it as the provider's throttle.
    public struct Paused: Error, CustomStringConvertible {
        public let remaining: Duration
        public var description: String { "paused for \(remaining.components.seconds) s more at the provider's request" }
    }

    /// Waits for this request's slot and returns when it may leave (the slot's time, and how long the
    /// budget held it back). Waiting for our own
    /// budget, however long, is never a throttle: it ends only in cancellation, an `Unavailable` database,
    /// or `Paused` when the provider itself asked for a pause longer than `longestPause`.
    ///
    /// A request must leave soon after its slot: slots are spaced by the interval plus a margin, so a
    /// window of the provider's limit (`count` slots) has `count` margins of slack, and a request leaving
    /// later than that slack (a busy machine) could arrive inside the next window's share, from any
    /// instance. Such a request gives its slot up and reserves another. The wait returns a little before
    /// the slot (`handOff`): the request goes with the slot's `notBefore` and `leaveBy` to the HTTP
    /// client's transfer thread, which sends it on time however late a task of the cooperative pool wakes.
    /// Call it right before sending.
    @discardableResult
    public nonisolated func take(longestPause: Duration = .seconds(15)) async throws -> Slot {
        let slack = Double(Self.milliseconds(configuration.margin * configuration.rate.count)) / 1000
        var waited = Duration.zero
        while true {
            let reservation = try await reserve(longestPause: longestPause)
            let slot = reservation.date
            let wait = slot.timeIntervalSinceNow
            if wait > Self.longWait { await noteLongWait(wait) }
            if wait > Self.handOff.seconds {
                let sleep = Duration.milliseconds(Int64(((wait - Self.handOff.seconds) * 1000).rounded(.up)))
                try await Task.sleep(for: sleep)
                if reservation.paced { waited += sleep }
            }
            let now = ContinuousClock.now
            let untilSlot = slot.timeIntervalSinceNow
            if slack == 0 || -untilSlot <= slack {
                let notBefore = now + .milliseconds(Int64((max(0, untilSlot) * 1000).rounded(.up)))
                return Slot(date: slot, waited: waited, notBefore: notBefore,
                            leaveBy: slack == 0 ? nil : now + .milliseconds(Int64(((slack + untilSlot) * 1000).rounded(.down))))
            }
            try Task.checkCancellation()
        }
    }

    /// How long before its slot a request is handed to the transfer thread, which holds it until then.
    static let handOff: Duration = .milliseconds(50)

    /// A slot taken: when it is, and how long the request slept for it because the budget put it later
    /// than it asked (zero when the budget was free: the short sleep that lands a request on a slot
    /// reserved a round trip ahead is not a wait for the budget).
    public struct Slot: Sendable {
        public let date: Date
        public let waited: Duration
        /// The request must not start before then (`OutboundRequest.notBefore`): the slot, on this clock.
        public let notBefore: ContinuousClock.Instant
        /// The request must start by then (`OutboundRequest.leaveBy`), or give the slot up and take another:
        /// later, it could arrive inside the next slot. Nil without a safety margin.
        public let leaveBy: ContinuousClock.Instant?
    }

    /// A slot reserved; `paced`: the limit put it later than the reservation asked for.
    struct Reservation: Sendable {
        let date: Date
        let paced: Bool
    }

    /// Whether a request should wait here for its slot: nil when the next free slot is within `wait` (as
    /// this instance knows the budget: the document as last written, and the requests already waiting
    /// for a slot here); otherwise when it should come back: half of `wait` before the slot after the
    /// last request told to come back, so that those told come back one slot apart. Reserves nothing: a
    /// request that comes back asks again.
    public func admission(within wait: Duration) -> Date? {
        guard ahead.isEmpty else { return nil }
        let now = Date()
        let interval = lastSeen.interval
        let next = Self.date(lastSeen.earliestAllowed(at: Self.instant(Self.milliseconds(now))))
            .addingTimeInterval(interval.seconds * Double(waiting.count + inReservation))
        if next.timeIntervalSince(now) <= wait.seconds { return nil }
        let slot = max(next, comeBackHorizon ?? next)
        comeBackHorizon = slot.addingTimeInterval(interval.seconds)
        noteLongWait(slot.timeIntervalSince(now))
        // Back a little before the slot, so that the claim's round trips do not leave it unused.
        return slot.addingTimeInterval(-wait.seconds / 2)
    }

    /// Why a budget pauses, as its log line says.
    public enum PauseReason: Sendable {
        /// A throttle answer (with its Retry-After, or the default pause).
        case throttled
        /// The provider's daily quota is used up until it renews.
        case dailyQuotaUsedUp(limit: Int)
    }

    /// The provider said "slow down": no request from any instance before `wait` has passed. The pause is
    /// logged when it starts; throttles arriving while it lasts (other requests in flight) only extend it.
    public func pause(for wait: Duration, reason: PauseReason = .throttled) async {
        let now = Date()
        let pausedUntil = [loggedPauseUntil, lastSeen.pausedUntil.map(Self.date)].compactMap { $0 }.max()
        let end = now.addingTimeInterval(wait.seconds)
        if pausedUntil.map({ $0 <= now }) ?? true {
            let metadata: Logger.Metadata = ["provider": "\(name)", "seconds": "\(Int(wait.seconds.rounded(.up)))",
                                             "until": "\(end.ISO8601Format())"]
            switch reason {
            case .throttled:
                logger.notice("provider paused at its request (throttle or Retry-After)", metadata: metadata)
            case .dailyQuotaUsedUp(let limit):
                logger.notice("provider's daily quota used up: no requests until it renews at midnight UTC",
                              metadata: metadata.merging(["quota": "\(limit)"]) { $1 })
            }
        }
        loggedPauseUntil = max(end, loggedPauseUntil ?? end)
        ahead = []
        known = nil
        let until = Self.milliseconds(now) + Self.milliseconds(wait)
        let tolerance = Self.milliseconds(configuration.rate.emissionInterval * (configuration.burst - 1))
        lastSeen.pause(until: Self.instant(until))
        do {
            _ = try await collection.updateOne(
                ["_id": .string(key)],
                ["$max": ["pausedUntil": .int64(until), "tat": .int64(until + tolerance)]],
                upsert: true)
        } catch {
            // The next reservation re-reads the document; the provider will say it again if need be.
        }
    }

    /// Waits longer than this are worth an operator's notice.
    static let longWait: TimeInterval = 1
    /// A wait over a second after this long without one is a new occurrence: at least a minute, and two of
    /// the limit's intervals (a slow limit such as 6/min makes every request behind another wait).
    private var quietSpell: TimeInterval { max(60, 2 * lastSeen.interval.seconds) }

    /// Logs a wait over a second for a slot, once per occurrence: the first such wait after a quiet spell.
    private func noteLongWait(_ wait: TimeInterval) {
        guard wait > Self.longWait else { return }
        let now = Date()
        defer { lastLongWait = now }
        if let lastLongWait, now.timeIntervalSince(lastLongWait) < quietSpell { return }
        let rate = configuration.rate
        logger.notice("requests wait over a second for the provider's rate budget", metadata: [
            "provider": "\(name)", "wait": "\((wait * 10).rounded() / 10) s", "waiting": "\(waiting.count + inReservation)",
            "rate": "\(rate.count) per \(rate.period)",
        ])
    }

    public struct Status: Sendable {
        public var tokensAvailable: Double
        public var pausedFor: Duration?
    }

    /// The budget as the database has it now (as last seen, if the database does not answer).
    public func status() async -> Status {
        if let document = try? await collection.findOne(["_id": .string(key)]), let stored = try? limiter(from: document) {
            lastSeen = stored
        }
        let now = Self.instant(Self.milliseconds(Date()))
        return Status(tokensAvailable: lastSeen.tokensAvailable(at: now),
                      pausedFor: lastSeen.pausedUntil.flatMap { $0 > now ? $0 - now : nil })
    }

    // MARK: Reserving

    private func reserve(longestPause: Duration) async throws -> Reservation {
        // A slot reserved ahead, unless it is already too late to use.
        let slack = Double(Self.milliseconds(configuration.margin * configuration.rate.count)) / 1000
        while let first = ahead.first {
            ahead.removeFirst()
            if -first.date.timeIntervalSinceNow <= slack { return first }
        }
        return try await withCheckedThrowingContinuation { continuation in
            waiting.append((continuation, longestPause))
            if !reserving {
                reserving = true
                Task { await self.drain() }
            }
        }
    }

    /// Reserves slots for everyone waiting, a batch per round trip, in the order they asked.
    private func drain() async {
        while !waiting.isEmpty {
            let batch = Array(waiting.prefix(Self.batch))
            waiting.removeFirst(batch.count)
            inReservation = batch.count
            defer { inReservation = 0 }
            do {
                let extra = batch.count < Self.batch ? prefetch : 0
                let slots = try await reserveInDatabase(batch.map(\.longestPause) + Array(repeating: .zero, count: extra))
                ahead.append(contentsOf: slots.dropFirst(batch.count).compactMap { try? $0.get() })
                for (waiter, slot) in zip(batch, slots) {
                    switch slot {
                    case .success(let reservation): waiter.continuation.resume(returning: reservation)
                    case .failure(let paused): waiter.continuation.resume(throwing: paused)
                    }
                }
            } catch {
                for waiter in batch { waiter.continuation.resume(throwing: error) }
            }
        }
        reserving = false
    }

    /// Reads the budget, takes consecutive slots for the waiters (none for one whose longest pause the
    /// provider's pause exceeds), and writes it back only if no other instance changed it in between
    /// (else reads again).
    private func reserveInDatabase(_ waiters: [Duration]) async throws -> [Result<Reservation, Paused>] {
        let started = ContinuousClock.now
        defer { lead = min(Self.longestLead, started.duration(to: .now) * 2) }
        for attempt in 0..<Self.attempts {
            let stored: (arrival: Int64, paused: Int64)?
            if attempt == 0, let known {
                stored = known
            } else {
                do {
                    stored = try await collection.findOne(["_id": .string(key)]).map {
                        let budget = try collection.decode(BudgetDocument.self, from: $0)
                        return (budget.tat, budget.pausedUntil)
                    }
                } catch {
                    throw Unavailable(description: "rate budget \(key): \(error)")
                }
            }
            var limiter = stored.map { self.limiter(arrival: $0.arrival, paused: $0.paused) } ?? RateLimiter(configuration: configuration)
            let now = Self.instant(Self.milliseconds(Date())) + lead
            let pause = limiter.pausedUntil.map { now.duration(to: $0) } ?? .zero
            let slots: [Result<Instant, Paused>] = waiters.map { longestPause in
                pause > longestPause ? .failure(Paused(remaining: pause)) : .success(limiter.reserve(at: now))
            }
            guard slots.contains(where: { (try? $0.get()) != nil }) else {
                lastSeen = limiter
                return slots.map { $0.map { Reservation(date: Self.date($0), paced: $0 > now) } }
            }
            let arrival = Self.milliseconds(limiter.theoreticalArrival ?? now)
            do {
                if let stored {
                    let result = try await collection.updateOne(
                        ["_id": .string(key), "tat": .int64(stored.arrival), "pausedUntil": .int64(stored.paused)],
                        ["$set": ["tat": .int64(arrival)]])
                    guard result.matchedCount == 1 else {
                        // Another instance reserved (or paused) since: read what it wrote and try again.
                        known = nil
                        if attempt > 0 { try await Self.backOff(attempt) }
                        continue
                    }
                    known = (arrival, stored.paused)
                } else {
                    try await collection.insertOne(["_id": .string(key), "tat": .int64(arrival), "pausedUntil": .int64(0)])
                    known = (arrival, 0)
                }
            } catch MongoError.duplicateKey {
                continue
            } catch let error as CancellationError {
                throw error
            } catch {
                known = nil
                throw Unavailable(description: "rate budget \(key): \(error)")
            }
            lastSeen = limiter
            return slots.map { $0.map { Reservation(date: Self.date($0), paced: $0 > now) } }
        }
        throw Unavailable(description: "rate budget \(key): \(Self.attempts) reservations in a row lost to other instances")
    }

    /// The most a slot is reserved ahead for the round trip.
    static let longestLead: Duration = .milliseconds(250)

    /// A few random milliseconds, so instances that collided do not collide again in step.
    private static func backOff(_ attempt: Int) async throws {
        try await Task.sleep(for: .milliseconds(Int.random(in: 1...(2 + min(attempt, 8) * 2))))
    }

    private func limiter(from document: BSONDocument) throws -> RateLimiter {
        let budget = try collection.decode(BudgetDocument.self, from: document)
        return limiter(arrival: budget.tat, paused: budget.pausedUntil)
    }

    /// A budget as `provider_budgets` holds it: wall-clock milliseconds of the theoretical arrival time
    /// and of the end of any pause (0: none).
    struct BudgetDocument: Codable {
        var tat: Int64
        var pausedUntil: Int64
    }

    private func limiter(arrival: Int64, paused: Int64) -> RateLimiter {
        RateLimiter(configuration: configuration, theoreticalArrival: arrival > 0 ? Self.instant(arrival) : nil,
                    pausedUntil: paused > 0 ? Self.instant(paused) : nil)
    }

    // Instants of the limiter are wall-clock milliseconds since 1970.
    static func date(_ instant: Instant) -> Date { Date(timeIntervalSince1970: Double(milliseconds(instant)) / 1000) }
    static func instant(_ milliseconds: Int64) -> Instant { Instant(sinceOrigin: .milliseconds(milliseconds)) }
    static func milliseconds(_ instant: Instant) -> Int64 { milliseconds(instant.sinceOrigin) }
    static func milliseconds(_ date: Date) -> Int64 { Int64((date.timeIntervalSince1970 * 1000).rounded()) }
    static func milliseconds(_ duration: Duration) -> Int64 {
        let parts = duration.components
        return parts.seconds * 1000 + (parts.attoseconds + 999_999_999_999_999) / 1_000_000_000_000_000
    }
}
