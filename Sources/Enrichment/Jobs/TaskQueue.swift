import EnricherCore
import Synchronization

/// Claimed tasks waiting for a worker, at most `capacity` of them: the bounded queue between MongoDB
/// (where all queued work lives) and the workers. A worker takes the task of highest priority whose
/// media type has the fewest entities in flight, then the oldest claimed, so one slow provider's
/// entities cannot occupy every worker while another type's wait.
final class TaskQueue: Sendable {
    private struct State {
        var buffered: [ClaimedTask] = []
        var inFlight: [MediaType: Int] = [:]
        var takers: [(id: Int, continuation: CheckedContinuation<ClaimedTask?, Never>)] = []
        var spaceWaiter: (id: Int, continuation: CheckedContinuation<Void, Never>)?
        var nextID = 0
        var closed = false

        /// The task to hand out next, removed from the buffer and counted in flight.
        mutating func next() -> ClaimedTask? {
            guard let index = buffered.indices.min(by: { lhs, rhs in
                let (a, b) = (buffered[lhs], buffered[rhs])
                return (a.priority.rawValue, inFlight[a.key.mediaType, default: 0], lhs)
                    < (b.priority.rawValue, inFlight[b.key.mediaType, default: 0], rhs)
            }) else { return nil }
            let task = buffered.remove(at: index)
            inFlight[task.key.mediaType, default: 0] += 1
            return task
        }
    }

    let capacity: Int
    private let state = Mutex(State())

    init(capacity: Int) {
        precondition(capacity >= 1, "the task queue must hold at least one task")
        self.capacity = capacity
    }

    /// Tasks waiting for a worker.
    var buffered: [ClaimedTask] { state.withLock { $0.buffered } }

    /// Workers waiting for a task.
    var idleTakers: Int { state.withLock { $0.takers.count } }

    /// Whether the feeder is waiting for room.
    var feederWaiting: Bool { state.withLock { $0.spaceWaiter != nil } }

    /// Adds claimed tasks (at most the space left) and hands them to waiting workers.
    func push(_ tasks: [ClaimedTask]) {
        var handed: [(CheckedContinuation<ClaimedTask?, Never>, ClaimedTask)] = []
        state.withLock { state in
            state.buffered += tasks
            while !state.takers.isEmpty, let task = state.next() {
                handed.append((state.takers.removeFirst().continuation, task))
            }
        }
        for (continuation, task) in handed { continuation.resume(returning: task) }
    }

    /// The next task, waiting for one; nil once the queue is closed or the caller is cancelled.
    func take() async -> ClaimedTask? {
        let id = state.withLock { state -> Int in
            state.nextID += 1
            return state.nextID
        }
        let task = await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<ClaimedTask?, Never>) in
                let now = state.withLock { state -> ClaimedTask?? in
                    if state.closed || Task.isCancelled { return .some(nil) }
                    if let task = state.next() { return .some(task) }
                    state.takers.append((id, continuation))
                    return nil
                }
                if let now { continuation.resume(returning: now) }
            }
        } onCancel: {
            let taker = state.withLock { state -> CheckedContinuation<ClaimedTask?, Never>? in
                guard let index = state.takers.firstIndex(where: { $0.id == id }) else { return nil }
                return state.takers.remove(at: index).continuation
            }
            taker?.resume(returning: nil)
        }
        if task != nil { wakeSpaceWaiter() }
        return task
    }

    /// A worker is done with `task`.
    func finished(_ task: ClaimedTask) {
        state.withLock { state in state.inFlight[task.key.mediaType, default: 1] -= 1 }
    }

    /// Waits until the buffer has room, and returns how much (0 when cancelled or closed).
    func waitForSpace() async -> Int {
        let id = state.withLock { state -> Int in
            state.nextID += 1
            return state.nextID
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let ready = state.withLock { state -> Bool in
                    if state.closed || Task.isCancelled || state.buffered.count < capacity { return true }
                    precondition(state.spaceWaiter == nil, "one feeder waits for space at a time")
                    state.spaceWaiter = (id, continuation)
                    return false
                }
                if ready { continuation.resume() }
            }
        } onCancel: {
            let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
                guard state.spaceWaiter?.id == id else { return nil }
                defer { state.spaceWaiter = nil }
                return state.spaceWaiter?.continuation
            }
            waiter?.resume()
        }
        return state.withLock { state in state.closed || Task.isCancelled ? 0 : max(0, capacity - state.buffered.count) }
    }

    /// Closes the queue: waiting workers get nil; the tasks still buffered are returned, to be released.
    func close() -> [ClaimedTask] {
        let (drained, takers, waiter) = state.withLock { state in
            state.closed = true
            defer { state.buffered = []; state.takers = []; state.spaceWaiter = nil }
            return (state.buffered, state.takers.map(\.continuation), state.spaceWaiter?.continuation)
        }
        for taker in takers { taker.resume(returning: nil) }
        waiter?.resume()
        return drained
    }

    private func wakeSpaceWaiter() {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            guard state.buffered.count < capacity, let waiter = state.spaceWaiter else { return nil }
            state.spaceWaiter = nil
            return waiter.continuation
        }
        waiter?.resume()
    }
}
