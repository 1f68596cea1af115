import EnricherCore
import Foundation
import Testing

/// The retry schedule of lookups that found no cover, as a value: no clock, no database.
@Suite("Lookup retry schedule")
struct LookupRetryScheduleTests {
    @Test("waits are whole numbers with a unit; off is empty; anything else is refused", arguments: [
        ("7d,30d,90d", [7 * 86_400, 30 * 86_400, 90 * 86_400] as [Int64]?),
        (" 2s , 5m,1h ", [2, 300, 3600]),
        ("off", []),
        ("OFF", []),
        ("7", nil),
        ("7w", nil),
        ("-1d", nil),
        ("0s", nil),
        ("1d,,2d", nil),
        ("", nil),
        ("3651d", nil),
    ])
    func parse(text: String, seconds: [Int64]?) {
        switch LookupRetrySchedule.parse(text) {
        case .success(let waits): #expect(waits.map(\.components.seconds) == seconds, "\(text)")
        case .failure(let error): #expect(seconds == nil, "\(text): \(error)")
        }
    }

    @Test("the n-th miss in a row waits the n-th wait of its kind's schedule, the last repeating; an empty schedule never")
    func retryAt() {
        let schedule = LookupRetrySchedule(notFound: [.seconds(10), .seconds(100)], failed: [.seconds(1)])
        let now = Date(timeIntervalSince1970: 1_000_000)
        #expect(schedule.retryAt(after: .notFound, attempts: 1, now: now) == now.addingTimeInterval(10))
        #expect(schedule.retryAt(after: .notFound, attempts: 2, now: now) == now.addingTimeInterval(100))
        #expect(schedule.retryAt(after: .notFound, attempts: 7, now: now) == now.addingTimeInterval(100))
        #expect(schedule.retryAt(after: .failed, attempts: 3, now: now) == now.addingTimeInterval(1))
        #expect(LookupRetrySchedule.never.retryAt(after: .notFound, attempts: 1, now: now) == nil)
    }

    @Test("misses count in a row: after a find the count starts again at one")
    func counting() {
        let schedule = LookupRetrySchedule(notFound: [.seconds(10), .seconds(100)], failed: [.seconds(1)])
        let now = Date(timeIntervalSince1970: 1_000_000)
        let first = ImageLookup.miss(.notFound, reason: "none", after: nil, schedule: schedule, now: now)
        #expect(first.attempts == 1 && first.retryAt == now.addingTimeInterval(10))
        let second = ImageLookup.miss(.notFound, reason: "none", after: first, schedule: schedule, now: now)
        #expect(second.attempts == 2 && second.retryAt == now.addingTimeInterval(100))
        let found = ImageLookup(lookupAttemptedAt: now, failureReason: nil, permanentFailure: false)
        #expect(found.attempts == 0 && found.retryAt == nil)
        let afterFind = ImageLookup.miss(.failed, reason: "timeout", after: found, schedule: schedule, now: now)
        #expect(afterFind.attempts == 1 && afterFind.retryAt == now.addingTimeInterval(1))
    }

    @Test("what a lookup depends on: identifiers compare normalised, ISBN-10 and -13 of one book alike; other fields do not count")
    func lookupChanges() throws {
        let before = try EntityDraft(title: "Dune", isbn: "978-0-441-01359-3", authors: ["Frank Herbert"]).validated(for: .books).get()
        let sameBook = try EntityDraft(title: "Dune", isbn: "0441013597", authors: ["F. Herbert"]).validated(for: .books).get()
        #expect(sameBook.lookupChanges(from: before).isEmpty)
        let changed = try EntityDraft(title: "Dune Messiah", isbn: "0441172695", imageUrl: "https://example.com/c.jpg", year: 1969)
            .validated(for: .books).get()
        #expect(changed.lookupChanges(from: before) == ["isbn", "title", "year", "imageUrl"])
        #expect(EntityDraft().lookupChanges(from: before) == ["isbn", "title"])
    }
}
