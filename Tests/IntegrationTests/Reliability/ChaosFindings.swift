import BSON
import EnricherCore
import Enrichment
import Foundation
import MongoDB
import Testing

/// What a chaos run found, read from the database, the receiver and the fakes once every job completed,
/// and what it must show:
/// - **no entity lost**: each has exactly one task, done with a final outcome (found, notFound, failed,
///   permanent), and its record agrees (found: a cover; otherwise an `imageLookup`). The 5xx answers
///   make `failed` and `notFound` legitimate; deferred or skipped is not (nothing throttles, no entity is
///   asked for twice), nor a failure that names our own database. Entities with their own `imageUrl`
///   (never faulted) are found with that picture; those with nothing to search with are permanent.
/// - **no duplicate cover**: the `covers` documents are exactly the distinct pictures the fakes served
///   to found entities, and each found entity shows the picture it was served.
/// - **every event delivered**: each final outcome's `enrichment.entity.completed` (one event per entity,
///   with that outcome) and each job's `enrichment.job.completed`, at least once, correctly signed.
///   Deliveries of one `webhook-id` more than once are allowed, counted and printed.
/// - **no corrupt image**: every GridFS file reads back whole through `ImageStore.read` (complete chunks,
///   bytes matching the recorded SHA-256), and every file a cover names is there with that digest.
/// - **ready again within 10 s** of each fault's end (a restart, or the database continuing).
struct ChaosFindings {
    struct Recovery {
        var fault: String
        /// Entities finished when it struck.
        var finished: Int
        var lasted: Duration?
        var notReadyAfter: Duration?
        var readyAfter: Duration
    }

    var plan: ChaosPlan
    var jobs: Int
    var recoveries: [Recovery]
    var completedAfter: Duration
    var deliveredAfter: Duration
    var apiRequests = 0
    var injectedServerErrors = 0

    // Outcomes.
    var outcomes: [String: Int] = [:]
    var lost: [String] = []
    var severalTasks: [String] = []
    var recordDisagrees: [String] = []
    var ownPictureMissed: [String] = []
    var permanentMissed: [String] = []
    var failureReasons: [String: Int] = [:]
    var failuresOfOurs: [String] = []
    var retriedTasks = 0
    var crashedAttempts = 0

    // Covers.
    var storedCovers = 0
    var distinctPictures = 0
    var extraCovers: [String] = []
    var missingCovers: [String] = []
    var wrongPicture: [String] = []

    // Events.
    var deliveries = 0
    var distinctEvents = 0
    var duplicateDeliveries = 0
    var finalOutcomes = 0
    var missingEntityEvents: [String] = []
    var severalEntityEvents: [String] = []
    var eventOutcomeDisagrees: [String] = []
    var missingJobEvents: [String] = []
    var badSignatures = 0

    // Images.
    var files = 0
    var corruptFiles: [String] = []
    var missingCoverFiles: [String] = []
    var orphanFiles = 0
    var orphanChunks = 0

    /// The readiness promise: at most this long after a fault ends.
    static let readyWithin: Duration = .seconds(10)

    static func gather(plan: ChaosPlan, data: ChaosData, world: FakeWorld, jobs: [String], database: MongoDatabase,
                       deliveries: [WebhookReceiver.Delivery], recoveries: [Recovery],
                       completedAfter: Duration, deliveredAfter: Duration) async throws -> ChaosFindings {
        var findings = ChaosFindings(plan: plan, jobs: jobs.count, recoveries: recoveries, completedAfter: completedAfter, deliveredAfter: deliveredAfter)
        for fake in world.fakes.values {
            findings.apiRequests += fake.requests.filter { $0.service != nil && $0.service != .images && $0.service != .openLibraryCovers }.count
            findings.injectedServerErrors += fake.injectedServerErrors
        }
        let tasks = try await database.collection(JobStore.tasksCollection).find(["jobId": ["$in": .array(jobs.map { .string($0) })]])
        let entities = try await database.collection(EntityRepository.collectionName).find()
        let outcomes = findings.judgeOutcomes(data: data, tasks: tasks, entities: entities)
        findings.judgeCovers(data: data, world: world, entities: entities, outcomes: outcomes,
                             covers: try await database.collection(CoverStore.collectionName).find())
        findings.judgeEvents(jobs: jobs, outcomes: outcomes, deliveries: deliveries)
        try await findings.judgeImages(database)
        return findings
    }

    /// Each entity's one final outcome (key -> outcome), recording what is wrong on the way.
    mutating func judgeOutcomes(data: ChaosData, tasks: [BSONDocument], entities: [BSONDocument]) -> [String: String] {
        var byEntity: [String: [BSONDocument]] = [:]
        for task in tasks { byEntity[task["entity"]?.stringValue ?? "?", default: []].append(task) }
        let records = Dictionary(entities.map { ($0["_id"]?.stringValue ?? "?", $0) }, uniquingKeysWith: { first, _ in first })
        let final = Set(TaskOutcome.allCases.filter(\.isFinal).map(\.rawValue))
        var result: [String: String] = [:]
        for key in data.keys {
            let mine = byEntity[key] ?? []
            if mine.count != 1 { severalTasks.append("\(key): \(mine.count) tasks") }
            for task in mine {
                if (task["attempts"]?.int64Value ?? 0) > 1 { retriedTasks += 1 }
                crashedAttempts += Int(task["failures"]?.int64Value ?? 0)
            }
            let done = mine.filter { $0["state"]?.stringValue == "done" }.compactMap { $0["outcome"]?.stringValue }.filter(final.contains)
            guard let outcome = done.first, done.count == 1 else {
                lost.append("\(key): \(mine.map { "\($0["state"]?.stringValue ?? "?")/\($0["outcome"]?.stringValue ?? "-")" })")
                continue
            }
            result[key] = outcome
            outcomes[outcome, default: 0] += 1
            let record = records[key] ?? [:]
            let cover = record["coverImage"]?.documentValue
            let lookup = record["imageLookup"]?.documentValue
            let agrees = outcome == TaskOutcome.found.rawValue ? cover != nil : cover == nil && lookup != nil
            if !agrees { recordDisagrees.append("\(key): task \(outcome), entity \(record)") }
            if let picture = data.ownPicture[key], cover?["id"]?.stringValue != picture {
                ownPictureMissed.append("\(key): \(outcome), cover \(cover?["id"]?.stringValue ?? "none")")
            }
            if data.permanent.contains(key), outcome != TaskOutcome.permanent.rawValue { permanentMissed.append("\(key): \(outcome)") }
            if outcome == TaskOutcome.failed.rawValue || outcome == TaskOutcome.notFound.rawValue {
                let reason = lookup?["failureReason"]?.stringValue ?? "(none)"
                failureReasons[String(reason.prefix(110)), default: 0] += 1
                // Our own side's faults are put back, never recorded as a provider's.
                if ["database", "interrupted", "unreachable"].contains(where: reason.lowercased().contains) {
                    failuresOfOurs.append("\(key): \(reason)")
                }
            }
        }
        return result
    }

    mutating func judgeCovers(data: ChaosData, world: FakeWorld, entities: [BSONDocument], outcomes: [String: String], covers: [BSONDocument]) {
        var expected: Set<String> = []
        for record in entities {
            let key = record["_id"]?.stringValue ?? "?"
            guard outcomes[key] == TaskOutcome.found.rawValue, let cover = record["coverImage"]?.documentValue else { continue }
            let provider = cover["provider"]?.stringValue ?? "?"
            let served: String?
            if provider == EnrichmentEngine.ownImageSource {
                served = data.ownPicture[key]
            } else {
                served = FakeProvider.Kind(provider: provider).map { sha256Hex(world[$0].defaultImageBytes) }
            }
            guard let served else { wrongPicture.append("\(key): from \(provider), which serves nothing known"); continue }
            expected.insert(served)
            if cover["id"]?.stringValue != served { wrongPicture.append("\(key): shows \(cover["id"]?.stringValue ?? "?"), was served \(served)") }
        }
        let stored = Set(covers.compactMap { $0["_id"]?.stringValue })
        storedCovers = covers.count
        distinctPictures = expected.count
        extraCovers = stored.subtracting(expected).sorted()
        missingCovers = expected.subtracting(stored).sorted()
    }

    mutating func judgeEvents(jobs: [String], outcomes: [String: String], deliveries: [WebhookReceiver.Delivery]) {
        self.deliveries = deliveries.count
        var events: [String: WebhookReceiver.Delivery] = [:]
        let secret = [WebhookSecret(WebhookDeliveryTests.callbackSecret)!]
        // Each signature is judged as of its arrival (the run outlasts the 5-minute timestamp tolerance).
        let (wallNow, clockNow) = (Date(), ContinuousClock.now)
        for delivery in deliveries {
            let age = delivery.time.duration(to: clockNow)
            let arrived = wallNow.addingTimeInterval(-(Double(age.components.seconds) + Double(age.components.attoseconds) / 1e18))
            let refusal = WebhookSignature.refusal(id: delivery.headers["webhook-id"], timestamp: delivery.headers["webhook-timestamp"],
                                                   signature: delivery.headers["webhook-signature"], body: Array(delivery.body),
                                                   secrets: secret, now: arrived)
            if refusal != nil { badSignatures += 1 }
            events[delivery.id] = delivery
        }
        distinctEvents = events.count
        duplicateDeliveries = deliveries.count - events.count
        finalOutcomes = outcomes.count
        var entityEvents: [String: [(id: String, outcome: String)]] = [:]
        var jobEvents: Set<String> = []
        for (id, event) in events {
            let json = event.json
            let data = json["data"] as? [String: Any] ?? [:]
            switch json["type"] as? String {
            case WebhookEventType.entityCompleted.rawValue:
                let key = "\(data["mediaType"] as? String ?? "?")/\(data["entityId"] as? String ?? "?")"
                entityEvents[key, default: []].append((id, data["outcome"] as? String ?? "?"))
            case WebhookEventType.jobCompleted.rawValue:
                jobEvents.insert(data["jobId"] as? String ?? "?")
            default:
                break
            }
        }
        for (key, outcome) in outcomes.sorted(by: { $0.key < $1.key }) {
            guard let mine = entityEvents[key], !mine.isEmpty else { missingEntityEvents.append(key); continue }
            if mine.count > 1 { severalEntityEvents.append("\(key): \(mine.map(\.outcome))") }
            if mine.contains(where: { $0.outcome != outcome }) { eventOutcomeDisagrees.append("\(key): task \(outcome), events \(mine.map(\.outcome))") }
        }
        missingJobEvents = jobs.filter { !jobEvents.contains($0) }
    }

    mutating func judgeImages(_ database: MongoDatabase) async throws {
        let store = CoverStore(database: database)
        let fileDocuments = try await database.collection("\(ImageStore.bucket).files").find([:], options: .init(projection: ["_id": 1]))
        let ids = Set(fileDocuments.compactMap { $0["_id"]?.stringValue })
        files = ids.count
        for id in ids.sorted() {
            do {
                if try await store.blobs.read(id) == nil { corruptFiles.append("\(id): gone while read") }
            } catch {
                corruptFiles.append("\(id): \(error)")
            }
        }
        var named: Set<String> = []
        for document in try await database.collection(CoverStore.collectionName).find() {
            for file in document["files"]?.arrayValue ?? [] {
                guard let file = file.documentValue, let id = file["fileId"]?.stringValue else { continue }
                named.insert(id)
                let blob = try await store.blobs.blob(id)
                if blob == nil || blob?.sha256 != file["sha256"]?.stringValue {
                    missingCoverFiles.append("\(id): \(blob.map { "digest \($0.sha256), the cover says \(file["sha256"]?.stringValue ?? "?")" } ?? "no such file")")
                }
            }
        }
        orphanFiles = ids.subtracting(named).count
        let chunks = try await database.collection("\(ImageStore.bucket).chunks").find([:], options: .init(projection: ["files_id": 1]))
        orphanChunks = chunks.filter { !ids.contains($0["files_id"]?.stringValue ?? "") }.count
    }

    // MARK: Report

    static func seconds(_ duration: Duration) -> String {
        let value = Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
        return String(format: "%.1f s", value)
    }

    static func list(_ items: [String], _ limit: Int = 5) -> String {
        items.isEmpty ? "" : " [" + items.prefix(limit).joined(separator: "; ") + (items.count > limit ? "; ..." : "") + "]"
    }

    func report() -> String {
        let faults = recoveries.map { recovery -> String in
            var line = "  \(recovery.fault) at \(recovery.finished)/\(plan.entities) finished"
            if let lasted = recovery.lasted { line += ", for \(Self.seconds(lasted))" }
            if let notReady = recovery.notReadyAfter { line += "; /readyz said 503 after \(Self.seconds(notReady))" }
            line += "; ready \(Self.seconds(recovery.readyAfter)) after it ended"
            return line + (recovery.readyAfter <= Self.readyWithin ? " (PASS, <= 10 s)" : " (FAIL, > 10 s)")
        }
        let outcomeText = outcomes.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
        let reasons = failureReasons.sorted { $0.value > $1.value }.prefix(6).map { "    \($0.value) x \($0.key)" }
        var lines = [
            "chaos run (\(plan.name)): \(plan.entities) entities in \(jobs) jobs with callbacks; providers answer 5xx to \(plan.serverErrorPercent) % of API requests",
            "faults (the database's storage is in memory: it is stopped with SIGSTOP and continued, a hung database, not a restarted one):",
        ] + faults + [
            "jobs completed \(Self.seconds(completedAfter)) after they were posted, the last event \(Self.seconds(deliveredAfter)) after",
            "  (deliveries a killed process had claimed wait for the claim's lease, \(Self.seconds(ChaosTimeline.deliveryLease)) with ENRICHER_WEBHOOK_TIMEOUT_SECONDS=\(ChaosTimeline.webhookTimeoutSeconds))",
            "fakes: \(apiRequests) API requests, \(injectedServerErrors) answered 5xx",
            "",
            "entities lost (no single final outcome): \(lost.count)\(Self.list(lost))",
            "  outcomes: \(outcomeText)",
            "  entities with other than one task: \(severalTasks.count)\(Self.list(severalTasks)); record disagreeing with the task: \(recordDisagrees.count)\(Self.list(recordDisagrees))",
            "  own imageUrl not found with its picture: \(ownPictureMissed.count)\(Self.list(ownPictureMissed)); nothing to search with and not permanent: \(permanentMissed.count)\(Self.list(permanentMissed))",
            "  failures naming our own side: \(failuresOfOurs.count)\(Self.list(failuresOfOurs)); tasks claimed more than once: \(retriedTasks); attempts cut short (crash, lost lease): \(crashedAttempts)",
        ]
        if !reasons.isEmpty { lines += ["  failed/notFound reasons:"] + reasons }
        lines += [
            "duplicate covers: \(max(0, storedCovers - distinctPictures)) (stored covers \(storedCovers), distinct pictures found \(distinctPictures))\(Self.list(extraCovers))",
            "  pictures found but not stored: \(missingCovers.count)\(Self.list(missingCovers)); entities showing another picture than served: \(wrongPicture.count)\(Self.list(wrongPicture))",
            "events: \(finalOutcomes) entity completions and \(jobs) job completions expected; missing entity events \(missingEntityEvents.count)\(Self.list(missingEntityEvents)), missing job events \(missingJobEvents.count)\(Self.list(missingJobEvents))",
            "  \(deliveries) deliveries of \(distinctEvents) events: \(duplicateDeliveries) delivered again (allowed); entities with more than one event: \(severalEntityEvents.count)\(Self.list(severalEntityEvents)); outcome differs from the task: \(eventOutcomeDisagrees.count)\(Self.list(eventOutcomeDisagrees)); bad signatures: \(badSignatures)",
            "corrupt images: \(corruptFiles.count) of \(files) GridFS files read back\(Self.list(corruptFiles)); files covers name that are missing or differ: \(missingCoverFiles.count)\(Self.list(missingCoverFiles))",
            "  files no cover names: \(orphanFiles), chunks no file owns: \(orphanChunks) (left by a kill mid-upload; swept after ENRICHER_IMAGE_ORPHAN_GRACE_MINUTES)",
        ]
        return lines.joined(separator: "\n") + "\n"
    }

    func expectAllHeld() {
        #expect(lost.isEmpty, "entities lost: \(lost.count)\(Self.list(lost, 20))")
        #expect(severalTasks.isEmpty, "\(Self.list(severalTasks, 20))")
        #expect(recordDisagrees.isEmpty, "\(Self.list(recordDisagrees, 20))")
        #expect(ownPictureMissed.isEmpty, "\(Self.list(ownPictureMissed, 20))")
        #expect(permanentMissed.isEmpty, "\(Self.list(permanentMissed, 20))")
        #expect(failuresOfOurs.isEmpty, "recorded as failed for our own fault: \(Self.list(failuresOfOurs, 20))")
        #expect(storedCovers == distinctPictures && extraCovers.isEmpty && missingCovers.isEmpty,
                "covers \(storedCovers), pictures \(distinctPictures); extra\(Self.list(extraCovers, 20)); missing\(Self.list(missingCovers, 20))")
        #expect(wrongPicture.isEmpty, "\(Self.list(wrongPicture, 20))")
        #expect(missingEntityEvents.isEmpty, "entity events missing: \(missingEntityEvents.count)\(Self.list(missingEntityEvents, 20))")
        #expect(severalEntityEvents.isEmpty, "\(Self.list(severalEntityEvents, 20))")
        #expect(eventOutcomeDisagrees.isEmpty, "\(Self.list(eventOutcomeDisagrees, 20))")
        #expect(missingJobEvents.isEmpty, "job events missing: \(missingJobEvents)")
        #expect(badSignatures == 0)
        #expect(corruptFiles.isEmpty, "\(Self.list(corruptFiles, 20))")
        #expect(missingCoverFiles.isEmpty, "\(Self.list(missingCoverFiles, 20))")
        for recovery in recoveries {
            #expect(recovery.readyAfter <= Self.readyWithin, "\(recovery.fault): ready only \(recovery.readyAfter) after it ended")
        }
        #expect(injectedServerErrors > 0, "the fakes injected no server errors: the run proved nothing about them")
    }
}
