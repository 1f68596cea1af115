import Foundation

enum PropertySeed {
    /// `ENRICHER_PROPERTY_SEED` when set (to replay a failure, or to explore: `random`), else a fixed
    /// seed per property, so CI runs the same cases every time. Printed before the run starts, so even a
    /// run that traps says how to replay it.
    static func make(_ property: String) -> UInt64 {
        let setting = ProcessInfo.processInfo.environment["ENRICHER_PROPERTY_SEED"]
        let seed: UInt64 = if setting == "random" {
            UInt64.random(in: 0...UInt64.max)
        } else if let setting, let fixed = UInt64(setting) {
            fixed
        } else {
            // FNV-1a of the property's name: stable across runs and toolchains (unlike hashValue).
            property.utf8.reduce(0xCBF2_9CE4_8422_2325) { ($0 ^ UInt64($1)) &* 0x100_0000_01B3 }
        }
        print("property \"\(property)\": seed \(seed) (replay with ENRICHER_PROPERTY_SEED=\(seed))")
        return seed
    }
}
