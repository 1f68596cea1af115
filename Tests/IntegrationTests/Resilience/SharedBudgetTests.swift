import EnricherApp
import EnricherCore
import Enrichment
import Foundation
import Logging
import MongoDB
import Resilience
import Testing

/// Provider budgets live in MongoDB: every instance on the database reserves its slots there, so the
/// provider sees its limit kept whatever the number of instances.
@Suite("Shared provider budgets", .serialized)
struct SharedBudgetTests {
    static let interval: Duration = .milliseconds(50)
    static let margin: Duration = .milliseconds(5)

    static func budgets(_ count: Int, on database: MongoDatabase, name: String = "fake") -> [ProviderBudget] {
        (0..<count).map { _ in
            ProviderBudget(name: name, egress: "test", configuration: .init(rate: .init(20, per: .seconds(1)), burst: 1, margin: margin),
                           database: database, logger: .quiet)
        }
    }

    @Test("three instances' slots, taken at once, are never closer than the interval plus the margin")
    func slotsAcrossInstances() async throws {
        try await TestDatabase.with("budget") { database in
            let budgets = Self.budgets(3, on: database)
            let slots = try await withThrowingTaskGroup(of: Date.self) { group in
                for budget in budgets {
                    for _ in 0..<20 { group.addTask { try await budget.take().date } }
                }
                return try await group.reduce(into: [Date]()) { $0.append($1) }
            }
            #expect(slots.count == 60)
            let sorted = slots.sorted()
            let gaps = zip(sorted, sorted.dropFirst()).map { $1.timeIntervalSince($0) }.sorted()
            #expect(gaps[0] >= 0.055 - 0.0005, "two slots \(gaps[0]) s apart")
            // Nothing is held back needlessly: most slots follow the one before by the interval plus the margin.
            // (The median, not the span: a taker woken late on a loaded machine gives its slot up and takes the
            // next free one, which stretches the span without any slot being wasted by the budget.)
            #expect(gaps[gaps.count / 2] < 0.055 * 1.5, "the median gap is \(gaps[gaps.count / 2]) s")
        }
    }

    @Test("a pause asked by one instance holds every instance")
    func pauseIsShared() async throws {
        try await TestDatabase.with("budget") { database in
            let budgets = Self.budgets(2, on: database)
            _ = try await budgets[0].take()
            let paused = Date()
            await budgets[0].pause(for: .seconds(1))
            let slot = try await budgets[1].take().date
            #expect(slot.timeIntervalSince(paused) >= 0.99, "the other instance went \(slot.timeIntervalSince(paused)) s after the pause")
        }
    }

    @Test("budgets of different egress identities are independent")
    func egressIdentities() async throws {
        try await TestDatabase.with("budget") { database in
            let configuration = RateLimiter.Configuration(rate: .init(1, per: .seconds(10)))
            let one = ProviderBudget(name: "fake", egress: "ip-a", configuration: configuration, database: database, logger: .quiet)
            let two = ProviderBudget(name: "fake", egress: "ip-b", configuration: configuration, database: database, logger: .quiet)
            let start = Date()
            _ = try await one.take()
            let slot = try await two.take().date
            #expect(slot.timeIntervalSince(start) < 1, "a budget behind another IP waited for this one's")
        }
    }
}
