import EnricherCore
import Foundation
import Scheduling
import Synchronization
import Testing
@testable import Enrichment

@Suite("Scan trigger and batch order")
struct ScanTriggerTests {
    /// A clock that jumps to whatever the trigger sleeps until, recording each wake-up.
    final class JumpingClock: Sendable {
        let state: Mutex<(now: Date, sleeps: [Date])>
        let stopAfter: Int

        init(start: Date, stopAfter: Int) {
            state = Mutex((start, []))
            self.stopAfter = stopAfter
        }

        var now: Date { state.withLock { $0.now } }
        var sleeps: [Date] { state.withLock { $0.sleeps } }

        func sleep(until date: Date) throws {
            try state.withLock { state in
                guard state.sleeps.count < stopAfter else { throw CancellationError() }
                #expect(date > state.now, "the trigger slept until \(date), not after now (\(state.now))")
                state.sleeps.append(date)
                // Wake a little late, as a real sleep does.
                state.now = date.addingTimeInterval(0.25)
            }
        }
    }

    static func date(_ text: String) throws -> Date { try Date(text, strategy: .iso8601) }

    @Test("fires at each run of the schedule in its time zone, across a daylight-saving change, once per run")
    func firesOnSchedule() async throws {
        // 02:30 Europe/Berlin daily, starting the day before clocks went forward (29 March 2026).
        let clock = JumpingClock(start: try Self.date("2026-03-27T12:00:00Z"), stopAfter: 4)
        let trigger = ScanTrigger(schedule: try CronExpression("30 2 * * *"), timeZone: TimeZone(identifier: "Europe/Berlin")!,
                                  now: { clock.now }, sleep: { try clock.sleep(until: $0) })
        let fired = Mutex<[Date]>([])
        await trigger.run { at in fired.withLock { $0.append(at) } }
        // 02:30 does not exist on 29 March in Berlin (clocks go from 02:00 to 03:00): no run that day.
        let expected = try ["2026-03-28T01:30:00Z", "2026-03-30T00:30:00Z", "2026-03-31T00:30:00Z", "2026-04-01T00:30:00Z"].map(Self.date)
        #expect(fired.withLock { $0 } == expected)
        #expect(clock.sleeps == fired.withLock { $0 })
    }

    @Test("a scan's entities alternate between media types, so workers spread over the providers")
    func interleaves() {
        let books = (0..<3).map { EntityKey(mediaType: .books, id: "b\($0)") }
        let movies = [EntityKey(mediaType: .movies, id: "m0")]
        let musics = (0..<2).map { EntityKey(mediaType: .musics, id: "a\($0)") }
        #expect(ScanService.interleave([books, movies, [], musics]).map(\.description)
                == ["books/b0", "movies/m0", "musics/a0", "books/b1", "musics/a1", "books/b2"])
    }
}
