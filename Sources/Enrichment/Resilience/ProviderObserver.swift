import Outbound

/// Hears what a provider's guard sees, for whoever keeps count (the composition root's metrics): every
/// request sent to the provider's API and every wait for its rate budget. Facts, never decisions.
public protocol ProviderObserver: Sendable {
    /// One request (one attempt, retries each count) was sent and answered or failed.
    func requestFinished(_ provider: ProviderID, outcome: ProviderRequestOutcome, duration: Duration)
    /// A request waited `duration` for a slot of the provider's budget before it could leave.
    func waitedForBudget(_ provider: ProviderID, duration: Duration)
}

/// How one request to a provider's API ended: a small fixed set.
public enum ProviderRequestOutcome: String, Sendable, CaseIterable {
    /// 2xx.
    case ok
    /// 404 (for most providers an answer: "no such item").
    case notFound = "not_found"
    /// A throttle status of the provider's (429, or what it uses instead).
    case throttled
    /// Any other 3xx/4xx.
    case clientError = "client_error"
    /// 5xx.
    case serverError = "server_error"
    /// No answer within the time left for the call.
    case timeout
    /// Refused connection, reset, DNS, an address the SSRF guard refused, a response too large.
    case transportError = "transport_error"
    /// Given up by us (shutdown, or the lookup was cancelled) before an answer came.
    case cancelled

    init(_ result: Result<OutboundResponse, OutboundError>, throttleStatuses: Set<Int>) {
        switch result {
        case .success(let response) where throttleStatuses.contains(response.status): self = .throttled
        case .success(let response) where (200..<300).contains(response.status): self = .ok
        case .success(let response) where response.status == 404: self = .notFound
        case .success(let response) where response.status >= 500: self = .serverError
        case .success: self = .clientError
        case .failure(.timeout), .failure(.connectTimeout): self = .timeout
        case .failure(.cancelled): self = .cancelled
        case .failure: self = .transportError
        }
    }
}
