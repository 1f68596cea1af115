import EnricherCore
@testable import Enrichment
import Foundation
import MongoDB
import Testing

/// How the queue counts attempts that never ended: a claim that finds its task started (not finished,
/// not given back) counts a failure, in the same update, with what is known of it.
@Suite("Job attempts")
struct JobAttemptTests {
    @Test("a claim counts an attempt that was started and never ended; work given back or deferred is not counted")
    func failuresCountedAtClaim() async throws {
        try await TestDatabase.with("attempts") { database in
            let store = JobStore(database: database)
            try await store.ensureIndexes()
            let start = Date(timeIntervalSince1970: 1_800_000_000)
            let keys = ["crashed", "failed", "given-back", "deferred"].map { EntityKey(mediaType: .books, id: $0) }
            _ = try await store.create(keys: keys, force: false, callbackUrl: nil, now: start)
            let lease = Duration.seconds(10)

            func claimAll(at now: Date, _ owner: String) async throws -> [String: ClaimedTask] {
                let claimed = try await store.claim(limit: 10, owner: owner, lease: lease, now: now)
                return Dictionary(uniqueKeysWithValues: claimed.map { ($0.key.id, $0) })
            }

            var tasks = try await claimAll(at: start, "first")
            #expect(tasks.count == 4 && tasks.values.allSatisfy { $0.failures == 0 && $0.lastFailure == nil && $0.attempts == 1 })
            for task in tasks.values { #expect(try await store.start(task, now: start)) }
            // "crashed": nothing more (its process died). "failed": its worker caught an error and said so.
            try await store.noteFailure(tasks["failed"]!, reason: "database unreachable")
            // Given back at shutdown, and deferred for a throttle: both due again at once.
            #expect(try await store.requeue(tasks["given-back"]!, dueAt: start, deferred: false))
            #expect(try await store.requeue(tasks["deferred"]!, dueAt: start, deferred: true, detail: "throttled"))

            // After the lease: each is claimed again.
            tasks = try await claimAll(at: start.addingTimeInterval(11), "second")
            #expect(tasks.count == 4)
            #expect(tasks.values.allSatisfy { $0.attempts == 2 }, "\(tasks.values.map { ($0.key.id, $0.attempts) })")
            #expect(tasks["crashed"]?.failures == 1)
            #expect(tasks["crashed"]?.lastFailure?.hasPrefix("the worker stopped during the attempt started at 2027-01-15T08:00:00Z") == true,
                    "\(String(describing: tasks["crashed"]?.lastFailure))")
            #expect(tasks["failed"]?.failures == 1)
            #expect(tasks["failed"]?.lastFailure == "database unreachable")
            #expect(tasks["given-back"]?.failures == 0 && tasks["given-back"]?.lastFailure == nil)
            #expect(tasks["deferred"]?.failures == 0 && tasks["deferred"]?.deferrals == 1)

            // Started again, it forgets the earlier reason; a second crash is counted as such.
            #expect(try await store.start(tasks["failed"]!, now: start.addingTimeInterval(11)))
            #expect(try await store.finish(tasks["crashed"]!, outcome: .failed, detail: "done"))
            tasks = try await claimAll(at: start.addingTimeInterval(22), "third")
            #expect(tasks["failed"]?.failures == 2)
            #expect(tasks["failed"]?.lastFailure?.hasPrefix("the worker stopped during the attempt started at 2027-01-15T08:00:11Z") == true,
                    "\(String(describing: tasks["failed"]?.lastFailure))")
            #expect(tasks["crashed"] == nil, "a finished task is not claimed")
            #expect(tasks["given-back"]?.failures == 0, "claimed but never started: not a failure")
        }
    }
}
