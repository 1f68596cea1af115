/// The breaker's count-based sliding window: outcomes of the last `capacity` calls, with running counts
/// so rates cost O(1).
struct CallWindow: Sendable, Equatable {
    let capacity: Int
    private var entries: [Entry] = []
    /// Where the next entry goes once the window is full (the oldest entry).
    private var oldest = 0
    private(set) var failures = 0
    private(set) var slowCalls = 0

    struct Entry: Sendable, Equatable {
        var failed: Bool
        var slow: Bool
    }

    init(capacity: Int) {
        self.capacity = capacity
        entries.reserveCapacity(capacity)
    }

    var count: Int { entries.count }

    mutating func append(_ entry: Entry) {
        if entries.count < capacity {
            entries.append(entry)
        } else {
            let evicted = entries[oldest]
            if evicted.failed { failures -= 1 }
            if evicted.slow { slowCalls -= 1 }
            entries[oldest] = entry
            oldest = (oldest + 1) % capacity
        }
        if entry.failed { failures += 1 }
        if entry.slow { slowCalls += 1 }
    }

    mutating func removeAll() {
        self = CallWindow(capacity: capacity)
    }
}
