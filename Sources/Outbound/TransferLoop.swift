internal import CCurl
import Foundation

/// The one thread that runs every transfer of an `HTTPClient` on one libcurl multi handle, so that
/// connections, DNS answers and TLS sessions outlive the request that made them and serve the next ones:
/// at most `maxHostConnections` connections to a host (later transfers to it queue inside libcurl until
/// one is free) and `maxConnections` in all.
///
/// Other threads only queue transfers and cancellations and wake the loop with `curl_multi_wakeup`, which
/// libcurl allows from any thread (curl_multi_wakeup(3)); every other libcurl call is made on the loop's
/// thread, so the multi handle and its share handle need no locks.
final class TransferLoop: @unchecked Sendable {
    // @unchecked Sendable: `shared` is read and written only while `condition` is locked. `multi` is used
    // off the loop's thread only for curl_multi_wakeup, always under the lock and only while
    // `shared.wakeable`, which the loop clears (under the lock) before it cleans the handle up.

    typealias Completion = CheckedContinuation<Result<OutboundResponse, OutboundError>, Never>

    /// A request on its way to the loop.
    struct Submission: Sendable {
        var plan: CurlTransfer.Plan
        var cancellation: CurlTransfer.Cancellation
        var completion: Completion
    }

    private struct Shared {
        var incoming: [Submission] = []
        var cancelled: [CurlTransfer.Cancellation] = []
        /// Submitted and not yet answered: waiting in `incoming`, held until its `notBefore`, queued in libcurl,
        /// or under way.
        var accepted = 0
        var stopping = false
        /// False once the loop is about to clean up the multi handle: no more wakeups.
        var wakeable = true
        var exited = false
    }

    private let condition = NSCondition()
    private var shared = Shared()
    private let queueLimit: Int
    private let multi: UnsafeMutableRawPointer
    /// The DNS cache and TLS sessions every transfer of the loop uses (the connection cache is the multi
    /// handle's own).
    private let share: UnsafeMutableRawPointer

    /// Makes the multi handle with its bounds and starts the thread. Throws when libcurl refuses.
    init(maxHostConnections: Int, maxConnections: Int, queueLimit: Int, name: String) throws(OutboundError) {
        guard let multi = curl_multi_init() else { throw .unavailable("curl_multi_init failed") }
        guard let share = curl_share_init() else {
            curl_multi_cleanup(multi)
            throw .unavailable("curl_share_init failed")
        }
        let options: [(CURLMoption, Int, String)] = [
            // Transfers past this many connections to one host wait inside libcurl for one to be free.
            (CURLMOPT_MAX_HOST_CONNECTIONS, maxHostConnections, "CURLMOPT_MAX_HOST_CONNECTIONS"),
            (CURLMOPT_MAX_TOTAL_CONNECTIONS, maxConnections, "CURLMOPT_MAX_TOTAL_CONNECTIONS"),
            // Connections kept open (idle ones included) for reuse; past it the oldest idle one is closed.
            (CURLMOPT_MAXCONNECTS, maxConnections, "CURLMOPT_MAXCONNECTS"),
        ]
        var problem: String?
        for (option, value, name) in options where problem == nil {
            let code = ccurl_multi_setopt_long(multi, option, value)
            if code != CURLM_OK { problem = "libcurl refused \(name): \(String(cString: curl_multi_strerror(code)))" }
        }
        for (data, name) in [(CURL_LOCK_DATA_DNS, "DNS"), (CURL_LOCK_DATA_SSL_SESSION, "TLS sessions")] where problem == nil {
            let code = ccurl_share_data(share, data)
            if code != CURLSHE_OK { problem = "libcurl cannot share \(name): \(String(cString: curl_share_strerror(code)))" }
        }
        if let problem {
            curl_multi_cleanup(multi)
            curl_share_cleanup(share)
            throw .unavailable(problem)
        }
        self.multi = multi
        self.share = share
        self.queueLimit = queueLimit
        // The thread keeps the loop alive until `shutdown()` lets it exit; the client calls it (in deinit too).
        let thread = Thread {
            // Linux takes a thread's name only from inside the thread, and only up to 15 bytes.
            Thread.current.name = String(name.prefix(15))
            self.run()
        }
        thread.stackSize = 2 << 20
        thread.start()
    }

    /// Hands `submission` to the loop, or answers it at once (`.unavailable`) when the loop is stopping or
    /// `queueLimit` requests are already accepted.
    func submit(_ submission: Submission) {
        condition.lock()
        let refusal: OutboundError?
        if shared.stopping {
            refusal = .unavailable("the client is shut down")
        } else if shared.accepted >= queueLimit {
            refusal = .unavailable("\(queueLimit) requests are already in flight or waiting")
        } else {
            refusal = nil
            shared.accepted += 1
            shared.incoming.append(submission)
            curl_multi_wakeup(multi)
        }
        condition.unlock()
        if let refusal { submission.completion.resume(returning: .failure(refusal)) }
    }

    /// Stops the transfer `cancellation` belongs to, wherever it is (waiting, queued for a connection or
    /// under way); it is answered `.cancelled`. Its connection, if it had one, is closed, not reused.
    func cancel(_ cancellation: CurlTransfer.Cancellation) {
        cancellation.cancel()
        condition.lock()
        if shared.wakeable {
            shared.cancelled.append(cancellation)
            curl_multi_wakeup(multi)
        }
        condition.unlock()
    }

    /// Refuses new requests, lets those accepted finish (those held for a later `notBefore` are answered
    /// `unavailable`), closes the connections and ends the thread.
    /// Blocks the caller until then.
    func shutdown() {
        condition.lock()
        shared.stopping = true
        if shared.wakeable { curl_multi_wakeup(multi) }
        while !shared.exited { condition.wait() }
        condition.unlock()
    }

    // MARK: - The loop's thread

    /// A transfer libcurl has, with whom to answer.
    private struct Running {
        var transfer: CurlTransfer
        var completion: Completion
    }

    private func run() {
        var running: [UnsafeMutableRawPointer: Running] = [:]
        var handles: [ObjectIdentifier: UnsafeMutableRawPointer] = [:]
        // Submissions whose `notBefore` has not come, with it, latest first (the next due is popped off the end).
        var held: [(notBefore: ContinuousClock.Instant, submission: Submission)] = []
        // When the earliest deadline of a running transfer may have come; checked no sooner.
        var nextSweep = ContinuousClock.now + .seconds(60)

        /// One accepted request less, before it is answered: its caller may send the next one at once.
        func release() {
            condition.lock()
            shared.accepted -= 1
            condition.unlock()
        }

        func finish(_ handle: UnsafeMutableRawPointer, with result: Result<OutboundResponse, OutboundError>) {
            // Taking a transfer out mid-way makes libcurl close its connection (it is in an unknown state),
            // so a cancelled or timed-out transfer never leaves a connection for the next one.
            curl_multi_remove_handle(multi, handle)
            guard let entry = running.removeValue(forKey: handle) else { return }
            handles[ObjectIdentifier(entry.transfer.cancellation)] = nil
            release()
            entry.completion.resume(returning: result)
        }

        while true {
            condition.lock()
            let incoming = shared.incoming
            let cancelled = shared.cancelled
            shared.incoming.removeAll()
            shared.cancelled.removeAll()
            let stopping = shared.stopping
            let done = stopping && incoming.isEmpty && running.isEmpty && held.isEmpty
            if done { shared.wakeable = false }
            condition.unlock()
            if done { break }
            // Shutting down: requests held for a later time are not waited for (their time may be far off).
            if stopping {
                for entry in held {
                    release()
                    entry.submission.completion.resume(returning: .failure(.unavailable("held for a later time; the client is shutting down")))
                }
                held.removeAll()
            }

            let now = ContinuousClock.now
            var due: [Submission] = []
            for submission in incoming {
                if let notBefore = submission.plan.notBefore, notBefore > now {
                    held.append((notBefore, submission))
                } else {
                    due.append(submission)
                }
            }
            if incoming.contains(where: { $0.plan.notBefore != nil }) { held.sort { $0.notBefore > $1.notBefore } }
            // Cancelled while held: answered now, not at their time.
            held.removeAll { entry in
                guard entry.submission.cancellation.isCancelled else { return false }
                due.append(entry.submission)
                return true
            }
            while let last = held.last, last.notBefore <= now { due.append(held.removeLast().submission) }
            for submission in due {
                let result: OutboundError
                if submission.cancellation.isCancelled {
                    result = .cancelled
                } else if let leaveBy = submission.plan.leaveBy, now > leaveBy {
                    // Checked here, the last moment before libcurl sends it: later than this, it could
                    // arrive inside the provider's next slot.
                    result = .late
                } else {
                    do {
                        let transfer = try CurlTransfer(plan: submission.plan, cancellation: submission.cancellation, share: share)
                        let code = curl_multi_add_handle(multi, transfer.handle)
                        if code == CURLM_OK {
                            transfer.begin(at: now)
                            running[transfer.handle] = Running(transfer: transfer, completion: submission.completion)
                            handles[ObjectIdentifier(submission.cancellation)] = transfer.handle
                            nextSweep = min(nextSweep, transfer.deadline)
                            continue
                        }
                        result = .unavailable("curl_multi_add_handle failed: \(String(cString: curl_multi_strerror(code)))")
                    } catch {
                        result = error
                    }
                }
                release()
                submission.completion.resume(returning: .failure(result))
            }
            for cancellation in cancelled {
                if let handle = handles[ObjectIdentifier(cancellation)] { finish(handle, with: .failure(.cancelled)) }
            }

            var stillRunning: Int32 = 0
            curl_multi_perform(multi, &stillRunning)
            var easy: UnsafeMutableRawPointer?
            var code = CURLE_OK
            while ccurl_multi_next_done(multi, &easy, &code) != 0 {
                guard let easy, let entry = running[easy] else { continue }
                finish(easy, with: entry.transfer.result(code))
            }

            // libcurl 7.88 checks a transfer's timeout only once it has a connection: one queued behind
            // the per-host limit would wait past its deadline. The loop ends those itself.
            let afterwards = ContinuousClock.now
            if afterwards >= nextSweep {
                nextSweep = afterwards + .seconds(60)
                for (handle, entry) in running {
                    if entry.transfer.deadline <= afterwards {
                        finish(handle, with: .failure(.timeout))
                    } else {
                        nextSweep = min(nextSweep, entry.transfer.deadline)
                    }
                }
            }
            // curl_multi_poll waits no longer than libcurl's own next timeout, and returns early on a wakeup.
            // A held request wakes the loop at its `notBefore`, to the millisecond.
            let wake = min(nextSweep, held.last?.notBefore ?? nextSweep)
            let untilWake = ((wake - ContinuousClock.now) / .milliseconds(1)).rounded(.up)
            curl_multi_poll(multi, nil, 0, Int32(max(0, min(1000, untilWake))), nil)
        }

        curl_multi_cleanup(multi)  // closes the cached connections
        curl_share_cleanup(share)
        condition.lock()
        shared.exited = true
        condition.broadcast()
        condition.unlock()
    }
}
