import Synchronization

/// Wakes idle workers when new work is queued, so they need not wait for their next poll.
///
/// A worker looks for work, then waits: a wake that comes between its look and its wait must not be lost
/// (the work it announces would wait for the next poll). So a worker takes a `mark` before it looks and
/// waits `since` it: a wake after the mark makes the wait return at once.
public final class WorkSignal: Sendable {
    private struct State {
        var waiters: [Int: CheckedContinuation<Void, Never>] = [:]
        /// Wakes so far.
        var generation = 0
        var closed = false
    }
    private let state = Mutex(State())
    private let nextID = Atomic<Int>(0)

    public init() {}

    /// The wakes so far, taken before a look for work.
    public struct Mark: Sendable {
        fileprivate let generation: Int
    }

    public var mark: Mark { Mark(generation: state.withLock { $0.generation }) }

    /// Wakes every worker waiting right now, and every wait since an earlier mark.
    public func wake() {
        let woken = state.withLock { state in
            state.generation &+= 1
            defer { state.waiters.removeAll() }
            return Array(state.waiters.values)
        }
        for continuation in woken { continuation.resume() }
    }

    /// Wakes every waiter now, and from now on every wait returns at once: for shutdown, with no window
    /// between a waiter's last look at "are we stopping" and its wait.
    public func close() {
        state.withLock { $0.closed = true }
        wake()
    }

    /// Returns when woken (or already woken since `mark`), after `timeout`, when the task is cancelled, or
    /// once closed, whichever comes first.
    public func wait(timeout: Duration, since mark: Mark) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { try? await Task.sleep(for: timeout) }
            group.addTask { await self.waitForWake(since: mark) }
            await group.next()
            group.cancelAll()
        }
    }

    private func waitForWake(since mark: Mark) async {
        let id = nextID.add(1, ordering: .relaxed).newValue
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let resumeNow = state.withLock { state -> Bool in
                    if Task.isCancelled || state.closed { return true }
                    if mark.generation != state.generation { return true }
                    state.waiters[id] = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            state.withLock { $0.waiters.removeValue(forKey: id) }?.resume()
        }
    }
}
