/// Lets at most `capacity` operations through at once and parks up to `maxWaiting` more, in arrival
/// order, until one leaves; past that, `enter` answers false at once. It sits in front of the image
/// executor (capacity = its threads + queue), so a burst waits its turn instead of failing, while the
/// number of parked callers (and the memory their images hold) stays bounded.
actor AdmissionGate {
    let capacity: Int
    let maxWaiting: Int
    private var inside = 0
    private var waiting: [CheckedContinuation<Void, Never>] = []
    private var head = 0

    init(capacity: Int, maxWaiting: Int) {
        precondition(capacity > 0 && maxWaiting >= 0)
        self.capacity = capacity
        self.maxWaiting = maxWaiting
    }

    /// Operations admitted and not yet left, and callers parked.
    var counts: (inside: Int, waiting: Int) { (inside, waiting.count - head) }

    /// True once admitted (perhaps after waiting); false when `maxWaiting` callers already wait.
    /// Every true must be paired with one `leave()`.
    func enter() async -> Bool {
        if inside < capacity {
            inside += 1
            return true
        }
        guard waiting.count - head < maxWaiting else { return false }
        // `leave` hands its place straight to the first waiter: `inside` does not change.
        await withCheckedContinuation { waiting.append($0) }
        return true
    }

    func leave() {
        if head < waiting.count {
            let next = waiting[head]
            head += 1
            if head == waiting.count {
                waiting.removeAll(keepingCapacity: true)
                head = 0
            }
            next.resume()
        } else {
            precondition(inside > 0, "AdmissionGate.leave without enter")
            inside -= 1
        }
    }
}
