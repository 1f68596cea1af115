import EnricherCore
import Enrichment
import Foundation
import HTTPCore
import Logging

/// One client's stream of events, read from the event log: every job's (`GET /v1/events`) or one job's
/// with its progress and its end (`GET /v1/enrichments/{id}/events`). Each event is written to the socket
/// before the next is read, so a slow client is never buffered for.
struct EventStream: Sendable {
    /// How a job's stream ends.
    enum Ending: Sendable {
        /// With the job's `enrichment.job.completed` from the log, when it is there.
        case logged
        /// The job finished and its own event is not in the log (it is older than the log, or was pruned):
        /// after what the log has, with the event the job document keeps (sent without an id), if any.
        case kept(WebhookEvent?)
    }

    /// The job whose events these are; nil: every job's.
    let jobID: String?
    /// The number of the last event the client has: the stream sends those after it.
    let after: Int64
    /// false: send what there is now, then end.
    let follow: Bool
    let ending: Ending
    let streams: EventStreams
    /// This stream's place among `ENRICHER_EVENTS_MAX_STREAMS`, held as long as the stream is.
    let admission: Admission
    let logger: Logger

    /// The client stopped taking bytes (it hung up, or took nothing for the read timeout).
    private struct ClientGone: Error {}

    /// Writes the stream until it ends; never throws: an error ends the body cleanly (the client resumes
    /// with `Last-Event-ID`) and is logged.
    func run(_ writer: any HTTPBodyWriter) async {
        var output = Output(writer: writer)
        do {
            try await stream(&output)
        } catch is ClientGone {
            logger.debug("event stream: the client left")
        } catch {
            logger.warning("event stream ended early; the client may resume with Last-Event-ID", metadata: ["error": "\(error)"])
        }
    }

    private func stream(_ output: inout Output) async throws {
        let settings = streams.settings
        var cursor = after
        if let jobID { try await output.send(try await progress(jobID)) }
        while !streams.isClosing {
            let mark = streams.logged.mark
            // Everything numbered up to `newest` was written before it (EventLog): read up to there and
            // nothing that commits later can fall behind the cursor.
            let newest = try await streams.log.newest()
            var sent = 0
            var final: LoggedEvent?
            while cursor < newest, final == nil, !streams.isClosing {
                let page = try await streams.log.read(jobID: jobID, after: cursor, through: newest, limit: settings.pageSize)
                for logged in page {
                    if jobID != nil, logged.event.type == .jobCompleted {
                        final = logged
                        break
                    }
                    try await output.send(Self.message(logged.event, id: logged.sequence))
                    sent += 1
                }
                cursor = page.count == settings.pageSize ? page[page.count - 1].sequence : newest
            }
            // Shutting down part-way through: the client resumes from the last id it got.
            guard !streams.isClosing else { return }
            if let jobID {
                if sent > 0 || final != nil { try await output.send(try await progress(jobID)) }
                if let final {
                    try await output.send(Self.message(final.event, id: final.sequence))
                    return
                }
                if case .kept(let event) = ending {
                    // Right after a progress: the opening one, or the one after this round's events.
                    if let event { try await output.send(Self.message(event, id: nil)) }
                    return
                }
            }
            guard follow else { return }
            await streams.logged.wait(timeout: max(.milliseconds(1), min(settings.poll, settings.heartbeat - output.quiet)), since: mark)
            if output.quiet >= settings.heartbeat { try await output.send(ServerSentEvent.heartbeat) }
        }
    }

    static func message(_ event: WebhookEvent, id: Int64?) -> [UInt8] {
        ServerSentEvent(event: event.type.rawValue, id: id, data: event.body).bytes
    }

    /// What `progress` carries: the status, counts and percent `GET /v1/enrichments/{id}` shows.
    private struct Progress: Encodable {
        var jobId: String
        var status: EnrichmentJob.Status
        var total: Int
        var counts: JobCounts
        var percent: Int
    }

    private func progress(_ jobID: String) async throws -> [UInt8] {
        guard let job = try await streams.jobs.job(jobID) else {
            throw StorageError.corruptDocument(collection: JobStore.jobsCollection, id: jobID, reason: "the job vanished while its events were streamed")
        }
        let (current, counts) = try await streams.jobs.settle(job)
        let data = try EnricherJSON.encoder.encode(Progress(jobId: jobID, status: current.status, total: current.total, counts: counts,
                                                            percent: current.percent(counts)))
        return ServerSentEvent(event: "progress", id: nil, data: String(decoding: data, as: UTF8.self)).bytes
    }

    /// The body writer, with when it last wrote (for the heartbeat) and the client's leaving told apart
    /// from the service's own errors.
    private struct Output {
        let writer: any HTTPBodyWriter
        private var lastWrite = ContinuousClock.now

        init(writer: any HTTPBodyWriter) { self.writer = writer }

        /// How long since the last write.
        var quiet: Duration { lastWrite.duration(to: .now) }

        mutating func send(_ bytes: [UInt8]) async throws {
            do { try await writer.write(bytes) } catch { throw ClientGone() }
            lastWrite = .now
        }
    }
}
