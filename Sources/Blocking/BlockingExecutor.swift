import Foundation

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

    /// Runs `body` on one of the pool's threads and resumes the caller with its result.
    public func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            let job: @Sendable () -> Void = {
                continuation.resume(with: Result { try body() })
            }
            condition.lock()
            defer { condition.unlock() }
            if stopping {
                continuation.resume(throwing: BlockingExecutorError.closed)
                return
            }
            if jobs.count - head >= queueLimit {
                continuation.resume(throwing: BlockingExecutorError.overloaded(queueLimit: queueLimit))
                return
            }
            jobs.append(job)
            condition.signal()
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
