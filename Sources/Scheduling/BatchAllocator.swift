/// Splits one scheduler batch between media types so each type with enabled providers gets a fair share.
///
/// The rule: `floor(batchSize / n)` each for the `n` types given, the remainder one each to the types
/// with the most pending entities (ties in the order given). A type never gets more than its pending
/// count; what it cannot use is shared among the others by the same rule, so the whole batch is used
/// whenever enough entities are pending. Applied until nothing moves, this is a max-min fair split
/// (water-filling), computed directly: types whose pending count is below the fair share take all of
/// it, and the rest divide what remains.
///
/// With 25 over `books: 100, movies: 3, games: 50, musics: 50`, the first pass gives 6 each and the
/// remainder to books; movies can use only 3, so its 3 spare go one each to the other three:
/// `books: 8, movies: 3, games: 7, musics: 7`.
public struct BatchAllocator: Sendable, Equatable {
    /// Entities taken per scheduler run, across all media types. Negative counts as 0.
    public var batchSize: Int

    public init(batchSize: Int) {
        self.batchSize = batchSize
    }

    /// How many entities to take per media type; every key given appears in the result (0 when it has none pending).
    ///
    /// - Parameter pending: each media type with at least one enabled provider, with its count of entities
    ///   eligible for lookup, in a stable order that breaks ties. A repeated key's counts are added together;
    ///   negative counts are treated as 0.
    public func allocate<MediaType: Hashable>(_ pending: [(mediaType: MediaType, pending: Int)]) -> [MediaType: Int] {
        // Merge repeated keys, keeping each key's first position for tie-breaking.
        var order: [MediaType] = []
        var demand: [MediaType: Int] = [:]
        for (mediaType, count) in pending {
            if demand[mediaType] == nil { order.append(mediaType) }
            demand[mediaType, default: 0] += max(0, count)
        }

        var allocation = Dictionary(uniqueKeysWithValues: order.map { ($0, 0) })
        var remaining = max(0, batchSize)
        // Smallest demand first: a type whose demand fits in the fair share takes all of it.
        var open = order.enumerated().sorted { (demand[$0.element]!, $0.offset) < (demand[$1.element]!, $1.offset) }
        while let smallest = open.first, demand[smallest.element]! <= remaining / open.count {
            allocation[smallest.element] = demand[smallest.element]!
            remaining -= demand[smallest.element]!
            open.removeFirst()
        }
        guard !open.isEmpty else { return allocation }

        // Every open type wants more than the share, so each can take the share plus one of the remainder.
        let share = remaining / open.count
        for entry in open { allocation[entry.element] = share }
        let byMostPending = open.sorted { (-demand[$0.element]!, $0.offset) < (-demand[$1.element]!, $1.offset) }
        for entry in byMostPending.prefix(remaining % open.count) {
            allocation[entry.element]! += 1
        }
        return allocation
    }
}
