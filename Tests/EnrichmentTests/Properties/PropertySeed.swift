import Foundation

enum PropertySeed {
    /// `ENRICHER_PROPERTY_SEED` when set (to replay a failure), a fresh one otherwise. Printed before the
    /// run starts, so even a run that traps says how to replay it.
    static func make(_ property: String) -> UInt64 {
        let seed = ProcessInfo.processInfo.environment["ENRICHER_PROPERTY_SEED"].flatMap { UInt64($0) } ?? UInt64.random(in: 0...UInt64.max)
        print("property \"\(property)\": seed \(seed) (replay with ENRICHER_PROPERTY_SEED=\(seed))")
        return seed
    }
}
