import Foundation
import Testing
@testable import Enrichment

@Suite("Standard Webhooks signatures and the retry schedule")
struct WebhookSignatureTests {
    static let secret = WebhookSecret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")!
    static let body = Array(#"{"test": 2432232314}"#.utf8)

    @Test("reproduces the published vector")
    func vector() {
        #expect(Self.secret.signature(id: "msg_p5jXN8AQM9LWM0D4loKWxJek", timestamp: 1_614_265_330, body: Self.body)
                == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")
    }

    @Test("verifies a signed delivery; refuses a tampered body, a wrong secret, a stale timestamp, missing headers")
    func verification() {
        let now = Date(timeIntervalSince1970: 1_614_265_330)
        let header = WebhookSignature.header(id: "msg_1", timestamp: 1_614_265_330, body: Self.body, secrets: [Self.secret])
        func refusal(_ body: [UInt8] = Self.body, secrets: [WebhookSecret] = [Self.secret], timestamp: String = "1614265330",
                     at: Date = now) -> WebhookSignature.Refusal? {
            WebhookSignature.refusal(id: "msg_1", timestamp: timestamp, signature: header, body: body, secrets: secrets, now: at)
        }
        #expect(refusal() == nil)
        #expect(refusal(Array(#"{"test": 2432232315}"#.utf8)) == .noValidSignature)
        #expect(refusal(secrets: [WebhookSecret.generate()]) == .noValidSignature)
        #expect(refusal(at: now.addingTimeInterval(301)) == .stale(seconds: 301, tolerance: 300))
        #expect(refusal(at: now.addingTimeInterval(-301)) == .stale(seconds: -301, tolerance: 300))
        #expect(refusal(at: now.addingTimeInterval(299)) == nil)
        #expect(refusal(timestamp: "soon") == .malformedTimestamp("soon"))
        // Signs and huge numbers are refused before any arithmetic (the smallest Int64 would overflow it).
        for odd in ["-9223372036854775808", "+1614265330", "9999999999999", "16.1"] {
            #expect(refusal(timestamp: odd) == .malformedTimestamp(odd), "\(odd)")
        }
        #expect(WebhookSignature.refusal(id: nil, timestamp: nil, signature: "x", body: Self.body, secrets: [Self.secret], now: now)
                == .missingHeaders(["webhook-id", "webhook-timestamp"]))
    }

    @Test("during a rotation both signatures are sent, and either secret verifies")
    func rotation() {
        let old = WebhookSecret.generate()
        let header = WebhookSignature.header(id: "msg_2", timestamp: 100, body: Self.body, secrets: [Self.secret, old])
        #expect(header.split(separator: " ").count == 2)
        for secret in [Self.secret, old] {
            #expect(WebhookSignature.refusal(id: "msg_2", timestamp: "100", signature: header, body: Self.body, secrets: [secret],
                                             now: Date(timeIntervalSince1970: 100)) == nil)
        }
    }

    @Test("a secret must be whsec_ and the base64 of 24 to 64 bytes; it never prints its key")
    func secrets() {
        #expect(WebhookSecret("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw") == nil)
        #expect(WebhookSecret("whsec_c2hvcnQ=") == nil)
        #expect(WebhookSecret("whsec_not base64!") == nil)
        let generated = WebhookSecret.generate()
        #expect(WebhookSecret(generated.text) == generated)
        #expect("\(generated)" == "whsec_<redacted>")
    }

    @Test("retries follow the schedule within ±20 %, never before a Retry-After, and stop after the last")
    func schedule() {
        let policy = DeliveryPolicy(schedule: [.seconds(0), .seconds(5), .seconds(300), .seconds(1800), .seconds(7200), .seconds(18000),
                                              .seconds(36000), .seconds(36000)], jitter: 0.2)
        let now = Date(timeIntervalSince1970: 0)
        #expect(policy.maxAttempts == 9)
        var system = SystemRandomNumberGenerator()
        for (index, base) in [0.0, 5, 300, 1800, 7200, 18000, 36000, 36000].enumerated() {
            for _ in 0..<50 {
                let wait = policy.nextAttempt(after: index + 1, now: now, retryAfter: nil, using: &system)!.timeIntervalSince1970
                #expect(wait >= base * 0.8 && wait <= base * 1.2, "retry \(index + 1): \(wait) s")
            }
        }
        // Over many draws the waits spread across the band rather than sitting at its middle.
        let draws = (0..<400).map { _ in policy.nextAttempt(after: 3, now: now, retryAfter: nil, using: &system)!.timeIntervalSince1970 }
        #expect(draws.min()! < 260 && draws.max()! > 340, "300 s ± 20 %: \(draws.min()!)...\(draws.max()!)")
        #expect(policy.nextAttempt(after: 2, now: now, retryAfter: .seconds(60), using: &system)!.timeIntervalSince1970 == 60)
        #expect(policy.nextAttempt(after: 9, now: now, retryAfter: nil, using: &system) == nil)
        // A Retry-After is honoured up to the schedule's longest wait, not for ever.
        #expect(policy.nextAttempt(after: 2, now: now, retryAfter: .seconds(999_999_999), using: &system)!.timeIntervalSince1970 == 36000)
    }
}
