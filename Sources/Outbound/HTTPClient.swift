import Logging

/// Outbound HTTP over libcurl. It promises that every address dialled (each redirect hop included) passed
/// the address policy, that bodies stop at a byte cap while they stream, that every exchange has a time
/// limit, and that libcurl runs on a thread of its own, never on Swift's cooperative pool.
///
/// Transfers share one libcurl multi handle, so connections are kept and reused: at most
/// `configuration.maxHostConnections` to one host, `configuration.maxConnections` in all. A connection is
/// only ever opened through this client's address policy, which never changes, and one whose transfer was
/// cancelled, timed out or cut off is closed rather than reused.
public final class HTTPClient: HTTPFetching {
    public let configuration: Configuration
    private let loop: TransferLoop
    private let logger: Logger

    /// Starts the client's transfer thread. Stops the process if `configuration.problems` is not empty or
    /// libcurl cannot initialise.
    public init(configuration: Configuration, logger: Logger = Logger(label: "enricher.outbound")) {
        let problems = configuration.problems
        precondition(problems.isEmpty, "invalid HTTPClient configuration: \(problems.joined(separator: "; "))")
        CurlTransfer.initializeLibrary()
        self.configuration = configuration
        self.logger = logger
        do {
            loop = try TransferLoop(
                maxHostConnections: configuration.maxHostConnections, maxConnections: configuration.maxConnections,
                queueLimit: configuration.queueLimit, name: "outbound-http")
        } catch {
            preconditionFailure("libcurl cannot start the HTTP client: \(error)")
        }
    }

    deinit {
        loop.shutdown()
    }

    /// Lets requests already accepted finish, then closes the connections and stops the thread; later
    /// requests throw `.unavailable`. Blocks the caller until the last transfer ends (at most
    /// `configuration.timeout` or the longest request timeout).
    public func shutdown() {
        loop.shutdown()
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
        // From when it left: a request held until its `notBefore` did not take that long.
        log(plan: plan, result: result, elapsed: ContinuousClock.now - max(started, request.notBefore ?? started))
        return try result.get()
    }

    private func perform(_ plan: CurlTransfer.Plan) async -> Result<OutboundResponse, OutboundError> {
        if Task.isCancelled { return .failure(.cancelled) }
        let cancellation = CurlTransfer.Cancellation()
        return await withTaskCancellationHandler {
            await withCheckedContinuation { completion in
                loop.submit(TransferLoop.Submission(plan: plan, cancellation: cancellation, completion: completion))
            }
        } onCancel: {
            loop.cancel(cancellation)
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
