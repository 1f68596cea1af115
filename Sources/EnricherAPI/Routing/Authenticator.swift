import Foundation

/// Checks `Authorization: Bearer <key>` against the configured keys without leaking, through timing,
/// how much of a guess was right.
struct Authenticator: Sendable {
    private let keys: [[UInt8]]

    init(keys: [String]) {
        self.keys = keys.map { Array($0.utf8) }
    }

    /// nil when the header carries a configured key; otherwise why not, for the 401's detail.
    func refusal(authorization header: String?) -> String? {
        guard let header, !header.isEmpty else {
            return "send an API key as 'Authorization: Bearer <key>'"
        }
        let parts = header.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else {
            return "the Authorization header must use the Bearer scheme"
        }
        let presented = Array(parts[1].trimmingCharacters(in: .whitespaces).utf8)
        // Compare against every key, always in full, so timing says nothing about which or how much matched.
        var accepted = false
        for key in keys where Self.constantTimeEquals(key, presented) { accepted = true }
        return accepted ? nil : "the API key is not valid"
    }

    static func constantTimeEquals(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        var difference = UInt(a.count ^ b.count)
        let length = max(a.count, b.count)
        for index in 0..<length {
            let x = index < a.count ? a[index] : 0
            let y = index < b.count ? b[index] : 0
            difference |= UInt(x ^ y)
        }
        return difference == 0
    }
}
