import BSON
import EnricherCore
@testable import Enrichment
import Foundation
import MongoDB
import Testing

/// The event log's sequence against the real database server: what makes `Last-Event-ID` lossless.
@Suite("Event log", .serialized)
struct EventLogTests {
    static func event(_ index: Int, job: String = "job_log", at timestamp: Date = Date()) -> WebhookEvent {
        WebhookEvent(id: "evt_\(job)/\(index)", type: .entityCompleted, timestamp: timestamp, body: #"{"n":\#(index)}"#, jobID: job)
    }

    @Test("appenders racing over overlapping batches leave one gapless sequence with every event exactly once")
    func racingAppenders() async throws {
        try await TestDatabase.with("evlog", threads: 8) { database in
            let log = EventLog(database: database)
            try await log.ensureIndexes()
            let events = (0..<120).map { Self.event($0) }
            // Four relays see overlapping batches (as relays of several instances do), each in its own order.
            try await withThrowingTaskGroup(of: Void.self) { group in
                for appender in 0..<4 {
                    let batch = appender.isMultiple(of: 2) ? Array(events[(appender * 20)...]) : Array(events[..<(60 + appender * 15)].reversed())
                    group.addTask {
                        for start in stride(from: 0, to: batch.count, by: 10) {
                            try await log.append(Array(batch[start..<min(start + 10, batch.count)]))
                        }
                    }
                }
                try await group.waitForAll()
            }
            let newest = try await log.newest()
            #expect(newest == 120)
            let logged = try await log.read(jobID: nil, after: 0, through: newest, limit: 1000)
            #expect(logged.map(\.sequence) == Array(1...120), "numbers 1...120 without holes")
            #expect(Set(logged.map(\.event.id)) == Set(events.map(\.id)), "each event once")
            #expect(try await log.read(jobID: "job_log", after: 100, through: newest, limit: 5).map(\.sequence) == [101, 102, 103, 104, 105])
            #expect(try await log.read(jobID: "job_other", after: 0, through: newest, limit: 5).isEmpty)
        }
    }

    @Test("pruning keeps the newest event, so numbers go on rising and are never given out twice")
    func pruneKeepsNewest() async throws {
        try await TestDatabase.with("evlog", threads: 2) { database in
            let log = EventLog(database: database)
            try await log.ensureIndexes()
            let old = Date().addingTimeInterval(-86_400)
            try await log.append((0..<3).map { Self.event($0, at: old) })
            #expect(try await log.prune(before: Date()) == 2)
            try await log.append([Self.event(3)])
            let logged = try await log.read(jobID: nil, after: 0, through: try await log.newest(), limit: 10)
            #expect(logged.map(\.sequence) == [3, 4])
            #expect(try await log.sequence(ofEvent: Self.event(3).id) == 4)
        }
    }
}
