import Blocking
import Logging

/// Outbound HTTP over libcurl. It promises that every address dialled (each redirect hop included) passed
/// the address policy, that bodies stop at a byte cap while they stream, that every exchange has a time
/// limit, and that libcurl's blocking calls run on threads of its own, never on Swift's cooperative pool.
///
/// Each request gets a fresh curl easy handle, so no connection outlives the request that vetted it.
public final class HTTPClient: HTTPFetching {
    public let configuration: Configuration
    private let executor: BlockingExecutor
    private let logger: Logger

    /// Starts `configuration.threads` threads. Stops the process if `configuration.problems` is not empty
    /// or libcurl cannot initialise.
    public init(configuration: Configuration, logger: Logger = Logger(label: "enricher.outbound")) {
        let problems = configuration.problems
        precondition(problems.isEmpty, "invalid HTTPClient configuration: \(problems.joined(separator: "; "))")
        CurlTransfer.initializeLibrary()
        self.configuration = configuration
        self.logger = logger
        self.executor = BlockingExecutor(
            threads: configuration.threads, queueLimit: configuration.queueLimit, name: "outbound-http")
    }

    deinit {
        executor.shutdown()
    }

    /// Lets requests already queued finish, then stops the threads; later requests throw `.unavailable`.
    /// Blocks the caller until the last transfer ends (at most `configuration.timeout` or the longest
    /// request timeout).
    public func shutdown() {
        executor.shutdown()
    }

    public func send(_ request: OutboundRequest) async throws(OutboundError) -> OutboundResponse {
        let started = ContinuousClock.now
        let result: Result<OutboundResponse, OutboundError>
        let plan: CurlTransfer.Plan?
        do {
            let valid = try CurlTransfer.Plan(request: request, configuration: configuration)
            plan = valid
            result = await perform(valid)
        } catch {
            plan = nil
            result = .failure(error)
        }
        log(plan: plan, result: result, elapsed: ContinuousClock.now - started)
        return try result.get()
    }

    private func perform(_ plan: CurlTransfer.Plan) async -> Result<OutboundResponse, OutboundError> {
        if Task.isCancelled { return .failure(.cancelled) }
        let cancellation = CurlTransfer.Cancellation()
        do {
            return try await withTaskCancellationHandler {
                try await executor.run { CurlTransfer(plan: plan, cancellation: cancellation).perform() }
            } onCancel: {
                cancellation.cancel()
            }
        } catch BlockingExecutorError.closed {
            return .failure(.unavailable("the client is shut down"))
        } catch BlockingExecutorError.overloaded(let limit) {
            return .failure(.unavailable("\(limit) requests are already waiting"))
        } catch {
            return .failure(.unavailable("\(error)"))
        }
    }

    private func log(plan: CurlTransfer.Plan?, result: Result<OutboundResponse, OutboundError>, elapsed: Duration) {
        // Only scheme, host and path: query strings and user info may hold API keys.
        var metadata: Logger.Metadata = [
            "method": "\(plan?.method ?? "(invalid)")",
            "url": "\(plan?.loggableURL ?? "(invalid)")",
            "ms": "\(Int((elapsed / .milliseconds(1)).rounded()))",
        ]
        switch result {
        case .success(let response):
            metadata["status"] = "\(response.status)"
            logger.debug("outbound request", metadata: metadata)
        case .failure(let error):
            metadata["error"] = "\(error)"
            logger.debug("outbound request failed", metadata: metadata)
        }
    }
}
