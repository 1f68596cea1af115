@testable import Images
import Testing

@Suite("Admission gate")
struct AdmissionGateTests {
    @Test("past capacity callers wait in order, and past maxWaiting they are refused")
    func pastCapacityCallersWaitThenAreRefused() async throws {
        let gate = AdmissionGate(capacity: 1, maxWaiting: 2)
        #expect(await gate.enter())
        let order = Recorder()
        let first = Task { let admitted = await gate.enter(); await order.append(1); return admitted }
        try await waitUntil { await gate.counts.waiting == 1 }
        let second = Task { let admitted = await gate.enter(); await order.append(2); return admitted }
        try await waitUntil { await gate.counts.waiting == 2 }
        // Capacity taken and two waiting: the next caller is refused at once.
        #expect(await gate.enter() == false)

        await gate.leave()
        #expect(await first.value)
        #expect(await gate.counts == (inside: 1, waiting: 1))
        await gate.leave()
        #expect(await second.value)
        await gate.leave()
        #expect(await gate.counts == (inside: 0, waiting: 0))
        #expect(await order.values == [1, 2])
    }

    @Test("an overloaded inspector answers unavailable once maxWaiting callers wait")
    func overloadedInspectorAnswersUnavailable() async throws {
        let inspector = try ImageInspector(threads: 1, queueLimit: 1, maxWaiting: 0)
        defer { inspector.shutdown() }
        // Take both places (one thread, one queue slot) directly, so the refusal does not depend on timing.
        #expect(await inspector.gate.enter())
        #expect(await inspector.gate.enter())
        let source = try TestImages.encode(width: 300, height: 450, as: .jpeg)
        await #expect(throws: ImageRejection.unavailable) {
            try await inspector.process(source, settings: RenditionSettings())
        }
        await #expect(throws: ImageRejection.unavailable) { try await inspector.inspect(source) }
        await inspector.gate.leave()
        await inspector.gate.leave()
        _ = try await inspector.inspect(source)
    }

    private actor Recorder {
        var values: [Int] = []
        func append(_ value: Int) { values.append(value) }
    }

    struct TimedOut: Error, CustomStringConvertible {
        var description: String { "condition not met within 5 s" }
    }

    /// Polls `condition` until it holds; throws after five seconds, so the test stops there.
    private func waitUntil(_ condition: () async -> Bool) async throws {
        let deadline = ContinuousClock.now + .seconds(5)
        while await !condition() {
            guard ContinuousClock.now < deadline else { throw TimedOut() }
            try await Task.sleep(for: .milliseconds(5))
        }
    }
}
