import EnricherCore
import Enrichment
import Foundation
import Images
import MongoDB
import Testing

/// The chaos run of issue 14: the real `enricher serve` on a database server of its own, fake providers
/// answering 5xx to a share of API requests, a catalog receiving callbacks, while the service is killed
/// with SIGKILL and the database hangs (SIGSTOP: its storage is in memory, so it is stopped, not shut
/// down). What it must show is in `ChaosFindings`. The short plan runs with every test (CI);
/// `ENRICHER_CHAOS=full` (`scripts/chaos`) runs the full one instead, its report written to `CHAOS_OUTPUT`.
@Suite("Chaos run", .serialized)
struct ChaosRun {
    static let environment = ProcessInfo.processInfo.environment

    /// The plan this run follows: the full one under `scripts/chaos`, else the short one.
    static let plans: [ChaosPlan] = environment["ENRICHER_CHAOS"] == "full" ? [.full(environment)] : [.short]

    @Test("jobs with callbacks through kill -9, a hung database and providers answering 5xx: no entity lost, no duplicate cover, every event delivered, no corrupt image, ready within 10 s of each fault",
          .timeLimit(.minutes(30)), arguments: plans)
    func chaos(_ plan: ChaosPlan) async throws {
        let database = try await PrivateDatabaseServer.start()
        defer { database.stop() }
        let receiver = try await WebhookReceiver.start()
        let run = ChaosTimeline(plan: plan, database: database, receiver: receiver)
        defer { run.cleanUp() }
        let findings: ChaosFindings
        do {
            findings = try await FakeWorld.with { world in try await run.run(world) }
        } catch {
            await receiver.stop()
            throw TestFailure("\(error)\n--- enricher serve ---\n\(run.logTail())")
        }
        await receiver.stop()
        let report = findings.report()
        print(report)
        if let path = Self.environment["CHAOS_OUTPUT"] {
            try Data(report.utf8).write(to: URL(fileURLWithPath: path))
        }
        findings.expectAllHeld()
    }
}

/// How big a run is and which faults it suffers, at which share of the work done.
struct ChaosPlan: Sendable, CustomTestStringConvertible {
    enum Fault: Sendable {
        /// SIGKILL, then the same binary started again on the same database with the same settings.
        case kill
        /// The database process stopped (SIGSTOP) this long, then continued.
        case hangDatabase(Duration)
    }

    var name: String
    var entities: Int
    var jobSize: Int
    /// Each fault strikes once this share of the entities is finished.
    var faults: [(at: Double, fault: Fault)]
    var serverErrorPercent: Int
    /// How long the whole run may take once the jobs are posted.
    var deadline: Duration

    var testDescription: String { "\(name): \(entities) entities" }

    /// For CI: one kill, a 5 s hang; well under two minutes on two cores.
    static let short = ChaosPlan(
        name: "short", entities: 180, jobSize: 90,
        faults: [(0.3, .kill), (0.55, .hangDatabase(.seconds(5)))], serverErrorPercent: 20, deadline: .seconds(240)
    )

    /// Issue 14's run: 2,000 entities, two kills, the database hung 20 s (`CHAOS_ENTITIES`,
    /// `CHAOS_DB_STOP_SECONDS` change them).
    static func full(_ environment: [String: String]) -> ChaosPlan {
        let hang = Int(environment["CHAOS_DB_STOP_SECONDS"] ?? "") ?? 20
        return ChaosPlan(
            name: "full", entities: Int(environment["CHAOS_ENTITIES"] ?? "") ?? 2000, jobSize: 500,
            faults: [(0.3, .kill), (0.5, .hangDatabase(.seconds(hang))), (0.7, .kill)], serverErrorPercent: 20,
            deadline: .seconds(900)
        )
    }
}

/// One run: the service, the data it is given, the faults in order, and what is read back at the end.
final class ChaosTimeline: @unchecked Sendable {
    // @unchecked Sendable: used by one test task at a time; the processes list is behind a lock.
    let plan: ChaosPlan
    let database: PrivateDatabaseServer
    let receiver: WebhookReceiver
    private let processes = LockedValue<[ServeProcess]>([])
    private let clock = ContinuousClock()
    private var recoveries: [ChaosFindings.Recovery] = []

    init(plan: ChaosPlan, database: PrivateDatabaseServer, receiver: WebhookReceiver) {
        self.plan = plan
        self.database = database
        self.receiver = receiver
    }

    static let databaseName = "chaos"
    static let webhookTimeoutSeconds = 3
    /// How long a delivery claimed by a process that was then killed waits: its claim's lease
    /// (`WebhookDispatcher`: the timeout for each of a claim's 8 deliveries and one more, plus 5 s).
    static let deliveryLease: Duration = .seconds(webhookTimeoutSeconds * 9 + 5)

    var current: ServeProcess? { processes.withLock { $0.last } }

    /// A client of the process running now.
    func client() -> TestClient { current!.client }

    func logTail() -> String { current?.logTail(40) ?? "" }

    func cleanUp() {
        for process in processes.withLock({ $0 }) { process.cleanUp() }
    }

    func run(_ world: FakeWorld) async throws -> ChaosFindings {
        let data = try await ChaosData(plan: plan, pictureHost: world[.igdb])
        let environment = settings(world)
        var serve = try await start(environment)

        for batch in stride(from: 0, to: data.entities.count, by: 500) {
            let some = Array(data.entities[batch..<min(batch + 500, data.entities.count)])
            let stored = try await client().post("/v1/entities/batch", ["entities": some])
            guard stored.status == 200 else { throw TestFailure("storing entities: \(stored.status) \(stored.text.prefix(500))") }
        }
        for (index, kind) in FakeProvider.Kind.allCases.enumerated() {
            world[kind].injectServerErrors(percent: plan.serverErrorPercent, seed: 0xC4A0_5000 + UInt64(index))
        }
        let started = clock.now
        var posted: [String] = []
        for batch in stride(from: 0, to: data.entities.count, by: plan.jobSize) {
            let items = data.entities[batch..<min(batch + plan.jobSize, data.entities.count)].map { ["mediaType": $0["mediaType"]!, "id": $0["id"]!] }
            let created = try await client().post("/v1/enrichments", ["entities": items, "callbackUrl": receiver.url])
            guard created.status == 202, let id = try created.json["id"] as? String else {
                throw TestFailure("POST /v1/enrichments: \(created.status) \(created.text.prefix(500))")
            }
            posted.append(id)
        }
        let jobs = posted

        for (share, fault) in plan.faults {
            let wanted = Int(Double(data.entities.count) * share)
            try await waitUntil(deadline: plan.deadline, interval: .milliseconds(250)) {
                (await self.finished(self.client(), jobs) ?? 0) >= wanted
            }
            let done = await finished(client(), jobs) ?? wanted
            switch fault {
            case .kill:
                try await serve.killHard()
                let killed = clock.now
                serve = try await start(environment)
                let ready = try await readyAfter(serve.client, since: killed)
                recoveries.append(.init(fault: "kill -9, restarted", finished: done, lasted: nil, notReadyAfter: nil, readyAfter: ready))
            case .hangDatabase(let hold):
                database.suspend()
                let stopped = clock.now
                let hung = serve
                // When /readyz notices (within the hold), then the rest of the hold.
                var notReady: Duration?
                if (try? await waitUntil(deadline: hold, interval: .milliseconds(100), { (try? await hung.client.get("/readyz").status) == 503 })) != nil {
                    notReady = stopped.duration(to: clock.now)
                }
                let left = hold - stopped.duration(to: clock.now)
                if left > .zero { try await Task.sleep(for: left) }
                database.resume()
                let resumed = clock.now
                let ready = try await readyAfter(serve.client, since: resumed)
                recoveries.append(.init(fault: "database stopped (SIGSTOP), continued", finished: done, lasted: stopped.duration(to: resumed),
                                        notReadyAfter: notReady, readyAfter: ready))
            }
        }

        do {
            try await waitUntil(deadline: plan.deadline - started.duration(to: clock.now), interval: .seconds(1)) {
                for job in jobs where (try? await self.client().job(job, "?limit=1"))?.status != "completed" { return false }
                return true
            }
        } catch {
            var states: [String] = []
            for job in jobs { states.append("\(job): \((try? await client().job(job, "?limit=1"))?.description ?? "?")") }
            throw TestFailure("the jobs did not complete within \(plan.deadline): \(states.joined(separator: "; "))")
        }
        let completed = started.duration(to: clock.now)
        let database = try MongoDatabase(.init(uri: self.database.uri, databaseName: Self.databaseName, threads: 2))
        do {
            let findings = try await findings(jobs: jobs, data: data, world: world, database: database, completedAfter: completed, started: started)
            await database.close()
            return findings
        } catch {
            await database.close()
            throw error
        }
    }

    private func findings(jobs: [String], data: ChaosData, world: FakeWorld, database: MongoDatabase,
                          completedAfter completed: Duration, started: ContinuousClock.Instant) async throws -> ChaosFindings {
        // Every final outcome's event and every job's, waited for as long as a killed process's claim on
        // a delivery lasts and a minute more; a shortfall is reported, not thrown.
        let finalOutcomes = try await database.collection(JobStore.tasksCollection).countDocuments([
            "state": "done", "outcome": ["$in": .array(TaskOutcome.allCases.filter(\.isFinal).map { .string($0.rawValue) })],
        ])
        let receiver = self.receiver
        try? await waitUntil(deadline: Self.deliveryLease + .seconds(60), interval: .milliseconds(200)) {
            let ids = Set(receiver.deliveries.map(\.id))
            return ids.count >= finalOutcomes + jobs.count
        }
        let delivered = started.duration(to: clock.now)
        return try await ChaosFindings.gather(
            plan: plan, data: data, world: world, jobs: jobs, database: database, deliveries: receiver.deliveries,
            recoveries: recoveries, completedAfter: completed, deliveredAfter: delivered
        )
    }

    /// The service's settings: the fakes at any pace and with no daily quotas (the run is about faults,
    /// not limits), callbacks allowed to loopback, short leases so a killed process's work comes back soon.
    func settings(_ world: FakeWorld) -> [String: String] {
        var environment = world.environment
        for quota in ProviderCatalog.all.keys.compactMap(\.dailyQuota) { environment[quota.name] = "0" }
        environment.merge([
            "MONGODB_URI": database.uri,
            "ENRICHER_DATABASE": Self.databaseName,
            "ENRICHER_API_KEYS": TestService.apiKey,
            ConfigurationKey.scanSchedule.name: "off",
            ConfigurationKey.logLevel.name: "warning",
            ConfigurationKey.callbackSecret.name: WebhookDeliveryTests.callbackSecret,
            ConfigurationKey.leaseSeconds.name: "10",
            ConfigurationKey.workers.name: "8",
            // The receiver always answers 204 at once: a retry means a failure of ours, and need not wait
            // minutes. Deliveries a killed process had claimed wait for their lease, this timeout + 5 s.
            ConfigurationKey.webhookSchedule.name: "0,2,5,10,30",
            ConfigurationKey.webhookTimeout.name: "\(Self.webhookTimeoutSeconds)",
        ]) { $1 }
        return environment
    }

    private func start(_ environment: [String: String]) async throws -> ServeProcess {
        let process = try ServeProcess(environment: environment)
        processes.withLock { $0.append(process) }
        try await process.waitUntilReady(deadline: .seconds(60))
        return process
    }

    /// Entities finished over every job, or nil when the service cannot say now.
    private func finished(_ client: TestClient, _ jobs: [String]) async -> Int? {
        var total = 0
        for job in jobs {
            guard let snapshot = try? await client.job(job, "?limit=1") else { return nil }
            total += snapshot.finished
        }
        return total
    }

    /// How long after `since` `/readyz` first answers 200.
    private func readyAfter(_ client: TestClient, since: ContinuousClock.Instant) async throws -> Duration {
        try await waitUntil(deadline: .seconds(60), interval: .milliseconds(100)) {
            (try? await client.send("GET", "/readyz", auth: .none).status) == 200
        }
        return since.duration(to: clock.now)
    }
}

/// The catalog the run enriches: a mix of media types. About 40 % carry their own `imageUrl`, pointing at
/// pictures of which each is shared by about four entities (so the same download arrives for several at
/// once); the rest are found through the provider chains, where each fake serves one picture for every
/// entity (heavier sharing still); one in fifty has nothing to search with (permanent).
struct ChaosData {
    /// What `POST /v1/entities/batch` takes.
    var entities: [[String: Any]]
    /// Entity key ("mediaType/id") -> the SHA-256 of the picture its own imageUrl serves.
    var ownPicture: [String: String]
    var permanent: Set<String>

    static let mediaTypes: [MediaType] = [.books, .movies, .games, .musics]
    /// Every album has the barcode the fake MusicBrainz knows.
    static let musicBarcode = Identifiers.ean13(40_000)

    init(plan: ChaosPlan, pictureHost: FakeProvider) async throws {
        var pictures: [String] = []
        for (index, bytes) in try await Self.distinctPictures(max(1, plan.entities / 10)).enumerated() {
            pictureHost.setImage(bytes, at: "/img/chaos.example/cover-\(index).jpg")
            pictures.append(sha256Hex(bytes))
        }
        let pictureCount = pictures.count
        entities = []
        ownPicture = [:]
        permanent = []
        for index in 0..<plan.entities {
            let mediaType = Self.mediaTypes[index % 4]
            let id = "c\(index)"
            let key = "\(mediaType.rawValue)/\(id)"
            var entity: [String: Any] = ["mediaType": mediaType.rawValue, "id": id]
            if index % 50 == 49 {
                // Nothing to search with.
                entity = ["mediaType": MediaType.books.rawValue, "id": id, "authors": ["Anonymous"]]
                entities.append(entity)
                permanent.insert("books/\(id)")
                continue
            }
            if index % 5 < 2 {
                let picture = (index / 5) % pictureCount
                entity["title"] = "Chaos \(index)"
                entity["imageUrl"] = "\(pictureHost.baseURL)/img/chaos.example/cover-\(picture).jpg"
                ownPicture[key] = pictures[picture]
                entities.append(entity)
                continue
            }
            switch mediaType {
            case .books: entity.merge(["isbn": Identifiers.isbn13(10_000 + index), "title": "Book \(index)"] as [String: Any]) { $1 }
            case .movies: entity["title"] = "The Matrix"
            case .games: entity.merge(["title": "Elden Ring", "platform": "PC"] as [String: Any]) { $1 }
            case .musics: entity.merge(["barcode": Self.musicBarcode, "title": "Album \(index)", "artist": "Artist"] as [String: Any]) { $1 }
            }
            entities.append(entity)
        }
    }

    /// `count` pictures no two of which the service takes for one: colour clouds, each seed another
    /// picture, but low in detail, so two seeds of 200 can fall within the dHash distance under which
    /// covers are merged (`ENRICHER_IMAGE_DUPLICATE_DISTANCE`); such seeds are left out.
    static func distinctPictures(_ count: Int) async throws -> [Data] {
        let inspector = try ImageInspector(limits: ImageLimits(), threads: 2, queueLimit: 4)
        defer { inspector.shutdown() }
        let distance = Int(ConfigurationKey.duplicateDistance.defaultValue ?? "") ?? 4
        var pictures: [Data] = []
        var hashes: [UInt64] = []
        var seed = 1000
        while pictures.count < count {
            seed += 1
            let bytes = try TestImages.encode(.noise(seed: seed), width: 300, height: 450, as: .jpeg, quality: 85)
            let hash = try await inspector.process(bytes, settings: RenditionSettings()).perceptualHash
            guard !hashes.contains(where: { PerceptualHash.distance($0, hash) <= distance }) else { continue }
            hashes.append(hash)
            pictures.append(Data(bytes))
        }
        return pictures
    }

    var keys: [String] { entities.map { "\($0["mediaType"] as! String)/\($0["id"] as! String)" } }
}
