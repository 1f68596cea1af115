import SeededRandom
import Foundation
import Testing
@testable import HTTPCore

/// Random requests, some broken, read at random boundaries: never a crash, always the one-shot outcome,
/// and for intact requests exactly the request that was generated.
@Suite struct HTTPParserPropertyTests {
    @Test func randomRequestsAtRandomBoundaries() {
        let environment = ProcessInfo.processInfo.environment
        let seed = environment["HTTP_FUZZ_SEED"].flatMap { UInt64($0) } ?? 0x5EED_2026
        let seconds = environment["HTTP_FUZZ_SECONDS"].flatMap { Double($0) } ?? 5
        let clock = ContinuousClock()
        let deadline = clock.now + .milliseconds(Int(seconds * 1000))
        var generator = RequestGenerator(random: SplitMix64(seed: seed))
        var iterations = 0, mutated = 0, failures = 0
        let limits = HTTPLimits(maxHeaderCount: 20, maxBodyBytes: 180)

        while clock.now < deadline, failures < 5 {
            iterations += 1
            var generated = generator.valid()
            if generator.chance(0.5) {
                generated = RequestGenerator.Generated(bytes: generator.mutate(generated.bytes), expected: nil)
                mutated += 1
            }
            let oneShot = RequestFeeder.whole(generated.bytes, limits: limits)
            if var expected = generated.expected {
                // A generated body over the small limit must be refused, and nothing else may differ.
                if case .contentLength(let n) = expected.framing, n > limits.maxBodyBytes {
                    expected.end = .failed(HTTPParseError(status: .contentTooLarge, detail: "the body exceeds 180 bytes"))
                    expected.consumed = oneShot.consumed
                    expected.body = []
                } else if expected.framing == .chunked, expected.body.count > limits.maxBodyBytes {
                    expected.end = oneShot.end
                    expected.consumed = oneShot.consumed
                    expected.body = oneShot.body
                    if oneShot.status != 413 { failures += 1; Issue.record("seed \(seed) iteration \(iterations): expected 413, got \(oneShot)") }
                }
                if oneShot != expected {
                    failures += 1
                    Issue.record("seed \(seed) iteration \(iterations): \(oneShot)\n!= expected \(expected)\ninput: \(Array(generated.bytes))")
                }
            }
            for _ in 0..<3 {
                let cuts = generator.cuts(generated.bytes.count)
                let split = RequestFeeder.run(generated.bytes, cuts: cuts, limits: limits)
                if split != oneShot {
                    failures += 1
                    Issue.record("seed \(seed) iteration \(iterations), cuts \(cuts): \(split)\n!= one-shot \(oneShot)\ninput: \(Array(generated.bytes))")
                    break
                }
            }
        }
        print("HTTP fuzz: seed \(seed), \(iterations) iterations (\(mutated) mutated) in \(seconds)s")
        #expect(iterations > 0)
    }
}
