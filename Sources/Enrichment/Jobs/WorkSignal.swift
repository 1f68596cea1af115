import Synchronization

/// Wakes idle workers when new work is queued, so they need not wait for their next poll.
public final class WorkSignal: Sendable {
    private struct State {
        var waiters: [Int: CheckedContinuation<Void, Never>] = [:]
        var closed = false
    }
    private let state = Mutex(State())
    private let nextID = Atomic<Int>(0)

    public init() {}

    /// Wakes every worker waiting right now.
    public func wake() {
        let woken = state.withLock { state in
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

    /// Returns when woken, after `timeout`, when the task is cancelled, or once closed, whichever comes first.
    public func wait(timeout: Duration) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { try? await Task.sleep(for: timeout) }
            group.addTask { await self.waitForWake() }
            await group.next()
            group.cancelAll()
        }
    }

    private func waitForWake() async {
        let id = nextID.add(1, ordering: .relaxed).newValue
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let resumeNow = state.withLock { state -> Bool in
                    if Task.isCancelled || state.closed { return true }
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
