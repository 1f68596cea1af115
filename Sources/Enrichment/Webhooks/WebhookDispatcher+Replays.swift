import Foundation
import Logging

/// The replay runner: takes one replay at a time with a lease, and pages through its events, saving the
/// cursor after each page. It queues a page only when fewer than a page of the endpoint's deliveries are
/// waiting, so a replay goes at the receiver's pace and live events are not stuck behind it.
extension WebhookDispatcher {
    /// How often an idle runner looks for a replay, and a waiting one at the delivery backlog.
    static let replayPoll = Duration.milliseconds(250)

    /// Runs replays until cancelled.
    func runReplays() async {
        let owner = "\(instance)-replay"
        while !Task.isCancelled {
            let claimed: WebhookReplay?
            do {
                claimed = try await store.claimReplay(owner: owner, lease: settings.replayLease)
            } catch is CancellationError {
                return
            } catch {
                logger.warning("could not claim a webhook replay", metadata: ["error": "\(error)"])
                claimed = nil
            }
            guard let replay = claimed else {
                try? await Task.sleep(for: settings.poll)
                continue
            }
            var current = replay
            do {
                try await run(&current, owner: owner)
            } catch {
                // Left as it is: this runner takes it again after a pause (or another when its lease ends), from its cursor.
                if !Task.isCancelled {
                    logger.warning("webhook replay interrupted", metadata: ["replay": "\(replay.id)", "error": "\(error)"])
                    try? await Task.sleep(for: settings.poll)
                }
            }
            if Task.isCancelled, current.isActive {
                // Given back from a task of its own: this one is cancelled, and the database calls may honour that.
                let store = self.store
                await Task { [current] in try? await store.releaseReplay(current, heldBy: owner) }.value
            }
        }
    }

    /// Pages through one replay until it ends, the runner is cancelled, or another runner took it over.
    private func run(_ replay: inout WebhookReplay, owner: String) async throws {
        var logger = self.logger
        logger[metadataKey: "replay"] = "\(replay.id)"
        logger[metadataKey: "endpoint"] = "\(replay.endpointID)"
        let pageSize = settings.replayPageSize
        while !Task.isCancelled {
            guard let endpoint = try await store.endpoint(replay.endpointID), endpoint.enabled else {
                replay.cancel(detail: "the subscription was deleted or disabled", now: Date())
                _ = try await store.saveReplay(replay, heldBy: owner)
                logger.notice("webhook replay cancelled: its subscription is gone or disabled")
                return
            }
            let page = try await store.replayPage(replay, endpoint: endpoint, limit: pageSize)
            replay.advance(by: page, pageSize: pageSize, now: Date())
            replay.renew(lease: settings.replayLease, now: Date())
            guard try await store.saveReplay(replay, heldBy: owner) else {
                logger.warning("webhook replay taken over by another instance")
                return
            }
            if page.queued > 0 { queued.wake() }
            guard replay.isActive else {
                logger.info("webhook replay completed", metadata: ["queued": "\(replay.queued)", "inFlight": "\(replay.inFlight)"])
                return
            }
            // The next page waits until fewer than a page of deliveries to this endpoint are waiting.
            while !Task.isCancelled, try await store.deliveryBacklog(endpointID: endpoint.id, limit: pageSize) >= pageSize {
                try? await Task.sleep(for: Self.replayPoll)
                if replay.leaseRunsLow(lease: settings.replayLease, now: Date()) {
                    replay.renew(lease: settings.replayLease, now: Date())
                    guard try await store.saveReplay(replay, heldBy: owner) else {
                        logger.warning("webhook replay taken over by another instance")
                        return
                    }
                }
            }
        }
    }
}
