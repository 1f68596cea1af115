import Crypto
import Foundation

/// A Standard Webhooks signing secret: `whsec_` and the base64 of the key (24 to 64 bytes).
public struct WebhookSecret: Sendable, Equatable, CustomStringConvertible {
    public static let prefix = "whsec_"
    let key: [UInt8]
    /// The secret as configured or shown once at creation, `whsec_...`.
    public let text: String

    public init?(_ text: String) {
        guard text.hasPrefix(Self.prefix), let key = Data(base64Encoded: String(text.dropFirst(Self.prefix.count))),
              (24...64).contains(key.count) else { return nil }
        self.key = Array(key)
        self.text = text
    }

    /// A new secret of 32 random bytes.
    public static func generate() -> WebhookSecret {
        var generator = SystemRandomNumberGenerator()
        let key = (0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        return WebhookSecret(prefix + Data(key).base64EncodedString())!
    }

    public static let rule = "a Standard Webhooks secret: whsec_ and the base64 of 24 to 64 random bytes"

    /// Never the key itself: secrets do not appear in logs.
    public var description: String { "whsec_<redacted>" }

    /// `v1,` and the base64 HMAC-SHA256 of `{id}.{timestamp}.{body}`.
    public func signature(id: String, timestamp: Int64, body: [UInt8]) -> String {
        var content = Array("\(id).\(timestamp).".utf8)
        content += body
        let code = HMAC<SHA256>.authenticationCode(for: content, using: SymmetricKey(data: key))
        return "v1," + Data(code).base64EncodedString()
    }
}

/// Signing and checking deliveries the Standard Webhooks way (`webhook-id`, `webhook-timestamp`,
/// `webhook-signature`).
public enum WebhookSignature {
    /// The `webhook-signature` value: one `v1,...` per secret (two during a rotation), space-separated.
    public static func header(id: String, timestamp: Int64, body: [UInt8], secrets: [WebhookSecret]) -> String {
        secrets.map { $0.signature(id: id, timestamp: timestamp, body: body) }.joined(separator: " ")
    }

    public enum Refusal: Error, Equatable, CustomStringConvertible {
        case missingHeaders([String])
        case malformedTimestamp(String)
        case stale(seconds: Int64, tolerance: Int64)
        case noValidSignature

        public var description: String {
            switch self {
            case .missingHeaders(let names): "missing \(names.joined(separator: ", "))"
            case .malformedTimestamp(let text): "webhook-timestamp '\(text)' is not a Unix time in seconds"
            case .stale(let seconds, let tolerance):
                "webhook-timestamp is \(seconds) s from now; at most \(tolerance) s is accepted (a replayed or delayed delivery)"
            case .noValidSignature: "no webhook-signature matches the body with a configured secret"
            }
        }
    }

    /// Checks a delivery: its timestamp within `tolerance` of `now`, and one of its signatures made with
    /// one of `secrets` over exactly these bytes (compared in constant time). nil when it is genuine.
    public static func refusal(id: String?, timestamp: String?, signature: String?, body: [UInt8], secrets: [WebhookSecret],
                               now: Date = Date(), tolerance: Int64 = 300) -> Refusal? {
        let missing = [("webhook-id", id), ("webhook-timestamp", timestamp), ("webhook-signature", signature)]
            .filter { $0.1?.isEmpty ?? true }.map(\.0)
        guard missing.isEmpty, let id, let timestamp, let signature else { return .missingHeaders(missing) }
        // Digits only, and few enough that no arithmetic on them can overflow.
        guard (1...12).contains(timestamp.utf8.count), timestamp.utf8.allSatisfy({ (0x30...0x39).contains($0) }),
              let seconds = Int64(timestamp) else { return .malformedTimestamp(timestamp) }
        let skew = Int64(now.timeIntervalSince1970.rounded()) - seconds
        guard abs(skew) <= tolerance else { return .stale(seconds: skew, tolerance: tolerance) }
        let offered = signature.split(separator: " ").map { Array($0.utf8) }
        for secret in secrets {
            let expected = Array(secret.signature(id: id, timestamp: seconds, body: body).utf8)
            if offered.contains(where: { constantTimeEqual($0, expected) }) { return nil }
        }
        return .noValidSignature
    }

    static func constantTimeEqual(_ lhs: [UInt8], _ rhs: [UInt8]) -> Bool {
        guard lhs.count == rhs.count else { return false }
        var difference: UInt8 = 0
        for index in lhs.indices { difference |= lhs[index] ^ rhs[index] }
        return difference == 0
    }
}
