import CEpoll
import Foundation
import Synchronization

/// One thread waiting in epoll on behalf of every task that waits for a socket, and checking the
/// deadlines that bound those waits. Tasks never block: a read or write that would block suspends in `wait` until epoll
/// says the socket is ready, its deadline passes, the task is cancelled, or the loop is asked to let go.
final class EventLoop: Sendable {
    enum WaitError: Error, Equatable {
        /// The deadline passed before the socket was ready.
        case timedOut
        /// `drainIdle()` (for an idle wait) or `stop()` ended the wait.
        case interrupted
    }

    private struct Waiter {
        let continuation: CheckedContinuation<Void, any Error>
        let deadline: ContinuousClock.Instant?
        /// Waiting for a request that has not begun: a shutdown may end it.
        let idle: Bool
    }

    private struct State {
        var waiters: [Int32: Waiter] = [:]
        var stopped = false
        var draining = false
    }

    private let epoll: Int32
    private let wakeup: Int32
    private let state = Mutex(State())
    /// How often deadlines are checked: they hold to within this.
    private let tick: Duration
    /// Called on the loop's thread once a tick, for deadlines kept elsewhere (a request's own).
    private let onTick: @Sendable (ContinuousClock.Instant) -> Void

    init(tick: Duration = .milliseconds(100), onTick: @escaping @Sendable (ContinuousClock.Instant) -> Void = { _ in }) throws {
        epoll = cepoll_create()
        guard epoll >= 0 else { throw SocketFailure("epoll_create1", errno) }
        wakeup = cepoll_eventfd()
        guard wakeup >= 0 else { close(epoll); throw SocketFailure("eventfd", errno) }
        guard cepoll_arm(epoll, wakeup, 0) == 0 else { throw SocketFailure("epoll_ctl", errno) }
        self.tick = tick
        self.onTick = onTick
        let thread = Thread { [self] in self.loop() }
        thread.name = "http-epoll"
        thread.start()
    }

    /// Suspends until `descriptor` is readable (or writable), throwing `WaitError` or `CancellationError`.
    /// An `idle` wait (a connection between requests) ends at once once `drainIdle()` was called.
    func wait(_ descriptor: Int32, writable: Bool = false, deadline: ContinuousClock.Instant?, idle: Bool = false) async throws {
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let refusal: (any Error)? = state.withLock { state in
                    if state.stopped || (idle && state.draining) { return WaitError.interrupted }
                    if Task.isCancelled { return CancellationError() }
                    state.waiters[descriptor] = Waiter(continuation: continuation, deadline: deadline, idle: idle)
                    return nil
                }
                if let refusal { return continuation.resume(throwing: refusal) }
                if cepoll_arm(epoll, descriptor, writable ? 1 : 0) != 0 {
                    let failure = SocketFailure("epoll_ctl", errno)
                    state.withLock { $0.waiters.removeValue(forKey: descriptor) }?.continuation.resume(throwing: failure)
                }
            }
        } onCancel: {
            state.withLock { $0.waiters.removeValue(forKey: descriptor) }?.continuation.resume(throwing: CancellationError())
        }
    }

    /// Ends every idle wait now and every one begun later: connections between requests close at shutdown
    /// while those in the middle of one finish it.
    func drainIdle() {
        let idle = state.withLock { state -> [CheckedContinuation<Void, any Error>] in
            state.draining = true
            var idle: [CheckedContinuation<Void, any Error>] = []
            for (descriptor, waiter) in state.waiters where waiter.idle {
                idle.append(waiter.continuation)
                state.waiters[descriptor] = nil
            }
            return idle
        }
        idle.forEach { $0.resume(throwing: WaitError.interrupted) }
    }

    /// Stops watching `descriptor`; call before closing it.
    func forget(_ descriptor: Int32) {
        _ = cepoll_remove(epoll, descriptor)
    }

    /// Ends every wait and the loop's thread; waits started afterwards fail at once.
    func stop() {
        let waiters = state.withLock { state -> [Waiter] in
            state.stopped = true
            defer { state.waiters = [:] }
            return Array(state.waiters.values)
        }
        waiters.forEach { $0.continuation.resume(throwing: WaitError.interrupted) }
        cepoll_signal(wakeup)
    }

    private func loop() {
        let capacity = 256
        let ready = UnsafeMutablePointer<Int32>.allocate(capacity: capacity)
        defer {
            ready.deallocate()
            close(wakeup)
            close(epoll)
        }
        let clock = ContinuousClock()
        let tickMilliseconds = Int32(tick.components.seconds * 1000 + tick.components.attoseconds / 1_000_000_000_000_000)
        var lastSweep = clock.now
        while true {
            let count = cepoll_wait(epoll, ready, Int32(capacity), tickMilliseconds)
            if count < 0 && errno != EINTR { break }
            if count > 0 {
                var resumed: [CheckedContinuation<Void, any Error>] = []
                resumed.reserveCapacity(Int(count))
                state.withLock { state in
                    for index in 0..<Int(count) where ready[index] != wakeup {
                        if let waiter = state.waiters.removeValue(forKey: ready[index]) { resumed.append(waiter.continuation) }
                    }
                }
                resumed.forEach { $0.resume() }
            }
            if state.withLock({ $0.stopped }) { break }
            let now = clock.now
            if now - lastSweep >= tick {
                lastSweep = now
                sweep(now)
                onTick(now)
            }
        }
    }

    /// Fails the waits whose deadline has passed.
    private func sweep(_ now: ContinuousClock.Instant) {
        let late = state.withLock { state -> [CheckedContinuation<Void, any Error>] in
            var late: [CheckedContinuation<Void, any Error>] = []
            for (descriptor, waiter) in state.waiters {
                if let deadline = waiter.deadline, deadline <= now {
                    late.append(waiter.continuation)
                    state.waiters[descriptor] = nil
                }
            }
            return late
        }
        late.forEach { $0.resume(throwing: WaitError.timedOut) }
    }
}

/// A socket call that failed, with its errno.
struct SocketFailure: Error, CustomStringConvertible {
    let call: String
    let code: Int32
    init(_ call: String, _ code: Int32) {
        self.call = call
        self.code = code
    }
    var description: String { "\(call) failed: \(String(cString: strerror(code)))" }
}
