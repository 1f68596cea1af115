import Foundation
import Testing
@testable import Resilience

@Suite struct DailyQuotaTests {
    private func date(_ iso: String) -> Date {
        try! Date(iso, strategy: .iso8601)
    }

    /// `#expect` cannot take a mutating call directly.
    private func consume(_ quota: inout DailyQuota, at date: Date) -> Bool {
        quota.consume(at: date)
    }

    @Test func consumesUpToTheLimitThenRefuses() {
        var quota = DailyQuota(limit: 3)
        let now = date("2026-11-23T10:00:00Z")
        #expect(consume(&quota, at: now))
        #expect(consume(&quota, at: now))
        #expect(consume(&quota, at: now))
        #expect(!consume(&quota, at: now))
        #expect(quota.used == 3)
        #expect(quota.remaining == 0)
        #expect(quota.day == "2026-11-23")
    }

    @Test func rollsOverAtMidnightUTC() {
        var quota = DailyQuota(limit: 2)
        #expect(consume(&quota, at: date("2026-11-23T23:59:58Z")))
        #expect(consume(&quota, at: date("2026-11-23T23:59:59Z")))
        #expect(!consume(&quota, at: date("2026-11-23T23:59:59Z")))
        #expect(quota.remaining(at: date("2026-11-24T00:00:00Z")) == 2)
        #expect(consume(&quota, at: date("2026-11-24T00:00:00Z")))
        #expect(quota.day == "2026-11-24")
        #expect(quota.used == 1)
    }

    @Test func rollsOverAtMidnightInItsTimeZone() {
        var quota = DailyQuota(limit: 1, timeZone: TimeZone(identifier: "America/New_York")!)
        // 03:00 UTC on the 24th is still the 23rd in New York (UTC-5 in November).
        #expect(consume(&quota, at: date("2026-11-24T03:00:00Z")))
        #expect(quota.day == "2026-11-23")
        #expect(!consume(&quota, at: date("2026-11-24T04:59:59Z")))
        #expect(consume(&quota, at: date("2026-11-24T05:00:00Z")))
        #expect(quota.day == "2026-11-24")
        #expect(quota.nextReset(after: date("2026-11-24T05:00:00Z")) == date("2026-11-25T05:00:00Z"))
    }

    @Test func aClockSteppingBackDoesNotGrantASecondAllowance() {
        var quota = DailyQuota(limit: 1)
        #expect(consume(&quota, at: date("2026-11-24T00:00:01Z")))
        #expect(!consume(&quota, at: date("2026-11-23T23:59:59Z")))
        #expect(quota.day == "2026-11-24")
    }

    @Test func survivesARestartThroughCodable() throws {
        var quota = DailyQuota(limit: 100, timeZone: TimeZone(identifier: "Europe/Paris")!)
        let now = date("2026-11-23T12:00:00Z")
        for _ in 0..<42 { _ = quota.consume(at: now) }
        let stored = try JSONEncoder().encode(quota)
        var restored = try JSONDecoder().decode(DailyQuota.self, from: stored)
        #expect(restored == quota)
        #expect(restored.used == 42)
        #expect(restored.remaining(at: now) == 58)
        #expect(consume(&restored, at: now + 60))
        #expect(restored.used == 43)
    }

    @Test(arguments: [
        ("2026-01-01T00:00:00Z", "2026-01-01"),
        ("2026-12-31T23:59:59Z", "2026-12-31"),
        ("0999-03-04T00:00:00Z", "0999-03-04"),
    ])
    func dayKeyIsZeroPadded(iso: String, key: String) {
        #expect(DailyQuota.dayKey(for: date(iso), in: DailyQuota.utc) == key)
    }
}
