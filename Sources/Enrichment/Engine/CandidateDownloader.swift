import Foundation
import Images
import Outbound

/// An image that was downloaded and passed every check.
public struct AcceptedImage: Sendable {
    public var url: String
    /// nil for the entity's own imageUrl.
    public var provider: ProviderID?
    public var bytes: [UInt8]
    public var image: InspectedImage

    public var pixels: Int { image.width * image.height }
}

/// Why a candidate was not taken, classified like provider failures.
public struct CandidateRefusal: Error, Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        /// The image is not there or not usable (404, refused by a check, address refused): a normal answer.
        case unusable
        /// The image host asked us to slow down.
        case throttled(retryAfter: Duration?)
        /// Timeout, 5xx, connection failure: may work later.
        case transient
        /// Our side failed (our database, our HTTP client or image threads, a shutdown): the lookup is put
        /// back to be done again.
        case interrupted
    }

    public var kind: Kind
    public var reason: String
}


/// Downloads a candidate image through the guarded HTTP client and runs every check on its bytes. A
/// download from a provider host with a budget waits for a slot of it first.
public struct CandidateDownloader: Sendable {
    let fetcher: any HTTPFetching
    let inspector: ImageInspector
    let maxBytes: Int
    let timeout: Duration
    let budgets: ImageBudgets

    public init(fetcher: any HTTPFetching, inspector: ImageInspector, maxBytes: Int, timeout: Duration, budgets: ImageBudgets = .none) {
        self.fetcher = fetcher
        self.inspector = inspector
        self.maxBytes = maxBytes
        self.timeout = timeout
        self.budgets = budgets
    }

    /// Slots a download may miss in a row (the machine too busy to send it in time) before it gives up.
    static let lateAttempts = 5

    /// `throttleStatuses`: how the image's host says "slow down" (the provider's image host).
    public func fetch(_ url: String, provider: ProviderID?, throttleStatuses: Set<Int>) async -> Result<AcceptedImage, CandidateRefusal> {
        let rule = budgets.rule(for: url)
        let throttleStatuses = throttleStatuses.union(rule?.throttleStatuses ?? [])
        let response: OutboundResponse
        var late = 0
        while true {
            var slot: ProviderBudget.Slot?
            if let rule {
                do {
                    slot = try await rule.budget.take(longestPause: timeout)
                } catch is CancellationError {
                    return .failure(.init(kind: .interrupted, reason: "cancelled"))
                } catch let paused as ProviderBudget.Paused {
                    return .failure(.init(kind: .throttled(retryAfter: paused.remaining), reason: "throttled: \(paused)"))
                } catch {
                    return .failure(.init(kind: .interrupted, reason: "\(error)"))
                }
            }
            var request = OutboundRequest(url: url, headers: [("Accept", "image/*")], maxResponseBytes: maxBytes, timeout: timeout)
            request.leaveBy = slot?.leaveBy
            request.notBefore = slot?.notBefore
            do {
                response = try await fetcher.send(request)
                break
            } catch {
                switch error {
                case .late:
                    // Not sent: it could not leave within its slot. A new slot, as if it had not asked yet; a
                    // machine too busy for several slots in a row is our side's trouble, and the task's retry.
                    late += 1
                    if late < Self.lateAttempts { continue }
                    return .failure(.init(kind: .interrupted, reason: "could not leave within its rate-budget slot \(late) times in a row (the machine is overloaded)"))
                case .blockedAddress, .invalidURL, .tooManyRedirects:
                    return .failure(.init(kind: .unusable, reason: error.description))
                case .responseTooLarge:
                    // The download stopped at the cap: the image's real size is unknown, so do not state one.
                    return .failure(.init(kind: .unusable, reason: "image is larger than the limit of \(maxBytes) bytes (download aborted)"))
                case .unavailable, .cancelled:
                    return .failure(.init(kind: .interrupted, reason: error.description))
                default:
                    return .failure(.init(kind: .transient, reason: error.description))
                }
            }
        }
        if throttleStatuses.contains(response.status) {
            let retryAfter = response.header("Retry-After").flatMap { RetryAfter.parse($0, now: Date()) }
            if let rule { await rule.budget.pause(for: retryAfter ?? budgets.defaultPause) }
            return .failure(.init(kind: .throttled(retryAfter: retryAfter), reason: "throttled (HTTP \(response.status))"))
        }
        guard (200..<300).contains(response.status) else {
            let kind: CandidateRefusal.Kind = response.status >= 500 || response.status == 429 ? .transient : .unusable
            return .failure(.init(kind: kind, reason: "HTTP \(response.status)"))
        }
        do {
            let image = try await inspector.inspect(response.body)
            return .success(AcceptedImage(url: url, provider: provider, bytes: response.body, image: image))
        } catch {
            return .failure(.init(kind: error == .unavailable ? .interrupted : .unusable, reason: error.description))
        }
    }
}
