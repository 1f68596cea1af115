import Foundation
import Synchronization

/// Why `BlockingExecutor.run` refused work.
public enum BlockingExecutorError: Error, Sendable, Equatable {
    /// The pool is shutting down.
    case closed
    /// `queueLimit` operations are already waiting.
    case overloaded(queueLimit: Int)
}

/// A fixed pool of OS threads for calls that block (libmongoc, libcurl, libvips), so they never occupy
/// Swift's cooperative pool, which has only one thread per core.
///
/// Work is queued FIFO up to `queueLimit`; past that, `run` throws instead of growing without bound.
public final class BlockingExecutor: @unchecked Sendable {
    // @unchecked Sendable: every mutable field is read and written only while `condition` is locked.
    private let condition = NSCondition()
    private var jobs: [@Sendable () -> Void] = []
    private var head = 0
    private var stopping = false
    private var running = 0
    private let queueLimit: Int
    private var threads: [Thread] = []

    public init(threads count: Int, queueLimit: Int, name: String) {
        precondition(count > 0 && queueLimit > 0)
        self.queueLimit = queueLimit
        for index in 0..<count {
            // Linux takes a thread's name only from inside the thread, and only up to 15 bytes.
            let threadName = "\(name.prefix(9))-\(index)"
            // Each thread keeps the executor alive until `shutdown()` lets it exit; owners call it (in deinit too).
            let thread = Thread {
                Thread.current.name = threadName
                self.workLoop()
            }
            thread.stackSize = 1 << 20
            threads.append(thread)
            running += 1
            thread.start()
        }
    }

    /// Operations waiting for a thread right now.
    public var queued: Int {
        condition.lock(); defer { condition.unlock() }
        return jobs.count - head
    }

    /// Runs `body` on one of the pool's threads and resumes the caller with its result. A caller cancelled
    /// while its work waits in the queue gets `CancellationError` at once and the work never runs; one
    /// cancelled while the work runs gets it at once too, and the work's result (it cannot be stopped
    /// inside a blocking C call) is dropped when it ends.
    public func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        let call = Call<T>()
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
                guard call.start(continuation) else { return }
                let job: @Sendable () -> Void = {
                    guard !call.isFinished else { return }
                    call.finish(Result { try body() })
                }
                condition.lock()
                defer { condition.unlock() }
                if stopping {
                    call.finish(.failure(BlockingExecutorError.closed))
                    return
                }
                if jobs.count - head >= queueLimit {
                    call.finish(.failure(BlockingExecutorError.overloaded(queueLimit: queueLimit)))
                    return
                }
                jobs.append(job)
                condition.signal()
            }
        } onCancel: {
            call.finish(.failure(CancellationError()))
        }
    }

    /// One caller's continuation, resumed once: by the work's result or by the caller's cancellation,
    /// whichever comes first.
    private final class Call<T: Sendable>: Sendable {
        private let state = Mutex<(continuation: CheckedContinuation<T, any Error>?, finished: Bool)>((nil, false))

        /// Keeps the continuation; false (and resumed) when the caller was cancelled before it got here.
        func start(_ continuation: CheckedContinuation<T, any Error>) -> Bool {
            let cancelled = state.withLock { state -> Bool in
                if state.finished { return true }
                state.continuation = continuation
                return false
            }
            if cancelled { continuation.resume(throwing: CancellationError()) }
            return !cancelled
        }

        var isFinished: Bool { state.withLock { $0.finished } }

        func finish(_ result: Result<T, any Error>) {
            let continuation = state.withLock { state -> CheckedContinuation<T, any Error>? in
                guard !state.finished else { return nil }
                state.finished = true
                defer { state.continuation = nil }
                return state.continuation
            }
            continuation?.resume(with: result)
        }
    }

    /// Lets queued work finish, then stops the threads and waits for them to exit.
    public func shutdown() {
        condition.lock()
        stopping = true
        condition.broadcast()
        while running > 0 { condition.wait() }
        condition.unlock()
    }

    private func workLoop() {
        while true {
            condition.lock()
            while head == jobs.count && !stopping { condition.wait() }
            if head == jobs.count {
                running -= 1
                condition.broadcast()
                condition.unlock()
                return
            }
            let job = jobs[head]
            head += 1
            if head > 1024 && head * 2 > jobs.count {
                jobs.removeFirst(head)
                head = 0
            }
            condition.unlock()
            job()
        }
    }
}

/// Runs `body`, which blocks (joining threads, destroying a pool), on a thread of its own and waits for
/// it without holding a cooperative thread.
public func offCooperativePool(_ body: @escaping @Sendable () -> Void) async {
    await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
        Thread {
            body()
            continuation.resume()
        }.start()
    }
}

/// Runs `body` to its end even when the calling task is cancelled (database calls honour cancellation):
/// for the bookkeeping of a shutdown, such as giving claimed work back, which must reach the database
/// although the task holding the work is being cancelled.
public func evenIfCancelled<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) async throws -> T {
    try await Task { try await body() }.value
}
