import EnricherCore
@testable import Enrichment
import Foundation
import Outbound
import Testing

/// The `scripts/bench webhooks` driver: runs only when `ENRICHER_BENCH=webhooks`, writing its report to
/// `BENCH_OUTPUT`. Deliveries per second from the running service to a local receiver that answers at
/// once, against a baseline measured in the same run: the same number of plain POSTs of the same bodies
/// through the same libcurl client, as many at a time as the service has delivery workers, with no
/// signing, no claims and no records.
@Suite("Benchmark: webhook deliveries", .serialized)
struct WebhooksBenchmark {
    static let environment = ProcessInfo.processInfo.environment

    @Test("deliveries per second to a receiver that answers at once", .enabled(if: environment["ENRICHER_BENCH"] == "webhooks"))
    func deliveries() async throws {
        let count = Int(Self.environment["BENCH_DELIVERIES"] ?? "") ?? 1000
        let workers = 4
        let receiver = try await WebhookReceiver.start(then: .status(204))
        let plain = try await WebhookReceiver.start(then: .status(204))
        let events = WebhookEvents(publicURL: "http://localhost:8080")
        let bodies = try (0..<count).map { index in
            try events.make(id: "evt_bench_\(index)", type: .jobCompleted, jobID: "job_bench_\(index)",
                            data: ["jobId": "job_bench_\(index)", "note": String(repeating: "x", count: 200)], now: Date())
        }
        do {
            let ours = try await TestService.with([
                ConfigurationKey.outboundAllow.name: "127.0.0.1/32", ConfigurationKey.webhookWorkers.name: "\(workers)",
                ConfigurationKey.pollMilliseconds.name: "50",
            ]) { service in
                let store = WebhookStore(database: service.database)
                let endpoint = try await store.createSubscription(url: receiver.url, eventTypes: WebhookEventType.allCases, secret: .generate())
                // Queued not yet due, then all made due at once: the figure is of delivering, not of queueing.
                let later = Date().addingTimeInterval(86_400)
                for event in bodies { try await store.enqueue(event, to: [endpoint], now: later) }
                let clock = ContinuousClock()
                let start = clock.now
                try await store.deliveries.updateMany([:], ["$set": ["nextAttemptAt": .date(Date())]])
                try await receiver.waitForDeliveries(count, deadline: .seconds(600))
                return Double(count) / LimitsBenchmark.seconds(clock.now - start)
            }

            let client = LoopbackHTTP.shared
            let clock = ContinuousClock()
            let start = clock.now
            try await withThrowingTaskGroup(of: Void.self) { group in
                for worker in 0..<workers {
                    group.addTask {
                        for index in stride(from: worker, to: count, by: workers) {
                            _ = try await client.send(OutboundRequest(method: "POST", url: plain.url, headers: [("Content-Type", "application/json")],
                                                                      body: Array(bodies[index].body.utf8)))
                        }
                    }
                }
                try await group.waitForAll()
            }
            let baseline = Double(count) / LimitsBenchmark.seconds(clock.now - start)
            let report = [
                "\(count) deliveries to a local receiver answering 204 at once, \(workers) delivery workers",
                String(format: "Enricher (claim, sign, post, record each attempt): %8.1f deliveries/s", ours),
                String(format: "plain POSTs, same client and bodies:               %8.1f requests/s", baseline),
                String(format: "ratio: %.2fx", ours / baseline),
            ].joined(separator: "\n") + "\n"
            if let path = Self.environment["BENCH_OUTPUT"] { try Data(report.utf8).write(to: URL(fileURLWithPath: path)) }
            #expect(receiver.deliveries.count == count && Set(receiver.deliveries.map(\.id)).count == count, "each event delivered once")
        } catch {
            await receiver.stop()
            await plain.stop()
            throw error
        }
        await receiver.stop()
        await plain.stop()
    }
}
