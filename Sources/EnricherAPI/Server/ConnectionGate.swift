import Synchronization

/// Counts open client connections and holds back accepting new ones while `limit` are open,
/// so excess clients wait in the kernel's listen backlog instead of exhausting file descriptors.
final class ConnectionGate: Sendable {
    let limit: Int
    private struct State {
        var open = 0
        var nextWaiter = 0
        var waiters: [Int: CheckedContinuation<Void, Never>] = [:]
    }
    private let state = Mutex(State())

    init(limit: Int) { self.limit = limit }

    var openConnections: Int { state.withLock { $0.open } }

    func opened() {
        state.withLock { $0.open += 1 }
    }

    func closed() {
        let ready = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.open -= 1
            guard state.open < limit else { return [] }
            defer { state.waiters = [:] }
            return Array(state.waiters.values)
        }
        ready.forEach { $0.resume() }
    }

    /// Returns once fewer than `limit` connections are open, or the task is cancelled.
    func waitForSlot() async {
        let id = state.withLock { state -> Int in
            state.nextWaiter += 1
            return state.nextWaiter
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let proceed = state.withLock { state -> Bool in
                    if state.open < limit || Task.isCancelled { return true }
                    state.waiters[id] = continuation
                    return false
                }
                if proceed { continuation.resume() }
            }
        } onCancel: {
            state.withLock { $0.waiters.removeValue(forKey: id) }?.resume()
        }
    }
}
