import Foundation
import SeededRandom

/// Server errors a fake answers at random, as a flaky provider does: each API request, whatever its
/// route, fails with the service's own 5xx (not its throttle status) with probability `percent`. Image
/// downloads are left alone: the fault is the provider's API, not its image host. Seeded, so a run
/// makes the same sequence of decisions (which request gets which depends on arrival order).
struct FakeFaults: Sendable {
    var percent: Int
    var generator: SplitMix64

    init(percent: Int, seed: UInt64) {
        self.percent = percent
        generator = SplitMix64(seed: seed)
    }

    /// Whether the next request to `service` is answered with a server error.
    mutating func strikes(_ service: FakeService) -> Bool {
        guard service != .images, service != .openLibraryCovers else { return false }
        return generator.chance(Double(percent) / 100)
    }
}

extension FakeProvider {
    /// From now on, answers `percent` % of API requests with the service's server error (seeded).
    func injectServerErrors(percent: Int, seed: UInt64) {
        withState { $0.faults = percent > 0 ? FakeFaults(percent: percent, seed: seed) : nil }
    }

    /// API requests answered with an injected server error so far.
    var injectedServerErrors: Int { withState { $0.injectedServerErrors } }
}
