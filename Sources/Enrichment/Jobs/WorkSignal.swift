import Synchronization

/// Wakes idle workers when new work is queued, so they need not wait for their next poll.
public final class WorkSignal: Sendable {
    private let waiters = Mutex<[Int: CheckedContinuation<Void, Never>]>([:])
    private let nextID = Atomic<Int>(0)

    public init() {}

    /// Wakes every worker waiting right now.
    public func wake() {
        let woken = waiters.withLock { waiters in
            defer { waiters.removeAll() }
            return Array(waiters.values)
        }
        for continuation in woken { continuation.resume() }
    }

    /// Returns when woken, after `timeout`, or when the task is cancelled, whichever comes first.
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
                let resumeNow = waiters.withLock { waiters -> Bool in
                    if Task.isCancelled { return true }
                    waiters[id] = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            waiters.withLock { $0.removeValue(forKey: id) }?.resume()
        }
    }
}
