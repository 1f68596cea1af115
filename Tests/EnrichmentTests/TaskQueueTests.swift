import EnricherCore
import Foundation
import Testing
@testable import Enrichment

@Suite("Task queue")
struct TaskQueueTests {
    static func task(_ id: String, _ mediaType: MediaType, _ priority: JobPriority = .onDemand) -> ClaimedTask {
        ClaimedTask(id: id, owner: "o", jobID: "job", key: EntityKey(mediaType: mediaType, id: id), force: false,
                    priority: priority, attempts: 1, deferrals: 0, jobCreatedAt: Date(timeIntervalSince1970: 0))
    }

    @Test("on-demand work first, then the media type with the fewest in flight, then the oldest")
    func order() async {
        let queue = TaskQueue(capacity: 10)
        queue.push([Self.task("m1", .movies), Self.task("m2", .movies), Self.task("m3", .movies),
                    Self.task("b1", .books), Self.task("s1", .books, .scan), Self.task("b2", .books)])
        var taken: [String] = []
        for _ in 0..<6 { taken.append(await queue.take()?.id ?? "nil") }
        // m1 (nothing in flight), b1 (books 0 < movies 1), m2 and b2 alternate, then m3; the scan task last.
        #expect(taken == ["m1", "b1", "m2", "b2", "m3", "s1"])
    }

    @Test("a finished task frees its media type's place")
    func finishing() async {
        let queue = TaskQueue(capacity: 10)
        queue.push([Self.task("m1", .movies), Self.task("m2", .movies), Self.task("b1", .books)])
        let first = await queue.take()
        #expect(first?.id == "m1")
        queue.finished(first!)
        // Movies has nothing in flight again: the oldest (m2) goes before b1.
        #expect(await queue.take()?.id == "m2")
    }

    /// Waits (up to 5 s) until `condition` holds: the other task has parked where the test wants it.
    static func until(_ condition: () -> Bool) async {
        let clock = ContinuousClock()
        let deadline = clock.now + .seconds(5)
        while !condition() && clock.now < deadline { await Task.yield() }
    }

    @Test("space is what the buffer lacks; a take wakes the feeder waiting for room")
    func space() async {
        let queue = TaskQueue(capacity: 2)
        #expect(await queue.waitForSpace() == 2)
        queue.push([Self.task("a", .games), Self.task("b", .games)])
        let feeder = Task { await queue.waitForSpace() }
        await Self.until { queue.feederWaiting }
        #expect(queue.feederWaiting, "the feeder waits while the buffer is full")
        _ = await queue.take()
        #expect(await feeder.value == 1)
        #expect(queue.close().map(\.id) == ["b"], "closing returns what still waits")
    }

    @Test("a worker waiting on an empty queue gets the next task pushed")
    func waiting() async {
        let queue = TaskQueue(capacity: 4)
        let taker = Task { await queue.take()?.id }
        await Self.until { queue.idleTakers == 1 }
        #expect(queue.idleTakers == 1)
        queue.push([Self.task("x", .musics)])
        #expect(await taker.value == "x")
    }

    @Test("a waiting worker gets nil when it is cancelled, or when the queue closes")
    func cancelAndClose() async {
        let queue = TaskQueue(capacity: 4)
        let cancelled = Task { await queue.take() }
        await Self.until { queue.idleTakers == 1 }
        cancelled.cancel()
        #expect(await cancelled.value == nil)
        #expect(queue.idleTakers == 0)
        let closed = Task { await queue.take() }
        await Self.until { queue.idleTakers == 1 }
        #expect(queue.idleTakers == 1)
        #expect(queue.close().isEmpty)
        #expect(await closed.value == nil)
    }
}
