import EnricherCore
import Foundation
import HTTPCore
import Images
import Testing

extension FakeWorld {
    /// Every service of every fake answers `scenario`.
    func setEveryScenario(_ scenario: FakeScenario) {
        for fake in fakes.values { fake.scenario = scenario }
    }

    /// Every request any fake received, in the order they arrived.
    var allRequests: [RecordedRequest] {
        fakes.values.flatMap(\.requests).sorted { $0.time < $1.time }
    }

    /// Requests to provider APIs (not to the fakes' image hosts), as `service path` lines.
    var apiCalls: [String] {
        allRequests.filter { $0.service != .images }.map { "\($0.service?.rawValue ?? "?") \($0.path)" }
    }
}

extension TestService {
    /// Starts a job over entities that already exist (no PUT first); returns the job id.
    func rerun(_ keys: [(MediaType, String)], force: Bool) async throws -> String {
        let items = keys.map { ["mediaType": $0.0.rawValue, "id": $0.1] }
        let response = try await client.post("/v1/enrichments", ["entities": items, "force": force])
        guard response.status == 202, let id = try response.json["id"] as? String else {
            throw TestFailure("POST /v1/enrichments: \(response.status) \(response.text)")
        }
        return id
    }

    /// Enriches one entity and waits for its job; returns the job's only item and the entity afterwards.
    func enrichOne(_ mediaType: MediaType, _ id: String, _ fields: [String: Any]) async throws -> (item: JobItemView, entity: [String: Any]) {
        let job = try await enrich([(mediaType, id, fields)])
        let item = try JobItemView.only(in: try await waitForJob(job))
        return (item, try await entity(mediaType, id))
    }

    /// Re-runs one existing entity and waits for its job.
    func rerunOne(_ mediaType: MediaType, _ id: String, force: Bool) async throws -> (item: JobItemView, entity: [String: Any]) {
        let job = try await rerun([(mediaType, id)], force: force)
        let item = try JobItemView.only(in: try await waitForJob(job))
        return (item, try await entity(mediaType, id))
    }

    /// Stored covers (one per picture, whatever number of entities show it).
    func storedCovers() async throws -> Int {
        try await database.collection(CoverStore.collectionName).countDocuments()
    }

    /// The normalized original of a stored cover, as GridFS holds it.
    func storedOriginal(_ id: String) async throws -> Data? {
        let store = CoverStore(database: database)
        guard let original = try await store.cover(id)?.original else { return nil }
        return try await store.blobs.read(original.fileId).map { Data($0) }
    }

    /// Documents in the GridFS bucket the covers are stored in (`images.files`, `images.chunks`).
    func storedImageDocuments() async throws -> (files: Int, chunks: Int) {
        (try await database.collection("images.files").countDocuments(), try await database.collection("images.chunks").countDocuments())
    }
}

/// One item of a job, as `GET /v1/enrichments/{id}` shows it.
struct JobItemView: CustomStringConvertible {
    var raw: [String: Any]
    var outcome: String? { raw["outcome"] as? String }
    var detail: String { raw["detail"] as? String ?? "" }

    static func only(in job: [String: Any]) throws -> JobItemView {
        guard let items = job["items"] as? [[String: Any]], items.count == 1 else {
            throw TestFailure("expected a job with exactly one item, got \(job)")
        }
        return JobItemView(raw: items[0])
    }

    static func all(in job: [String: Any]) throws -> [String: JobItemView] {
        guard let items = job["items"] as? [[String: Any]] else { throw TestFailure("job without items: \(job)") }
        var byKey: [String: JobItemView] = [:]
        for item in items { byKey["\(item["mediaType"] ?? "?")/\(item["id"] ?? "?")"] = JobItemView(raw: item) }
        return byKey
    }

    var description: String { "outcome \(outcome ?? "nil"), detail '\(detail)'" }
}

/// An entity as the API shows it, with the fields the tests read.
struct EntityView: CustomStringConvertible {
    var raw: [String: Any]
    init(_ raw: [String: Any]) { self.raw = raw }

    var status: String? { raw["status"] as? String }
    var coverImage: [String: Any]? { raw["coverImage"] as? [String: Any] }
    var coverIsNull: Bool { raw["coverImage"] is NSNull }
    var lookup: [String: Any]? { raw["imageLookup"] as? [String: Any] }
    var lookupIsNull: Bool { raw["imageLookup"] is NSNull }
    var failureReason: String? { lookup?["failureReason"] as? String }
    var permanentFailure: Bool? { lookup?["permanentFailure"] as? Bool }

    var description: String {
        let data = (try? JSONSerialization.data(withJSONObject: raw, options: [.sortedKeys])) ?? Data()
        return String(decoding: data, as: UTF8.self)
    }
}

/// A server on one loopback address ("127.0.0.2", "::1", "127.0.0.1") that records every request and
/// answers a valid cover: the SSRF tests prove Enricher never reached it.
final class RecordingServer: Sendable {
    private let server: LoopbackServer
    private let received = LockedValue<[String]>([])

    private init(server: LoopbackServer) {
        self.server = server
    }

    var host: String { server.host }
    var port: UInt16 { server.port }

    /// "http://host:port" with an IPv6 host bracketed.
    var base: String { server.base }

    /// Every request received, as `METHOD path`.
    var requests: [String] { received.withLock { $0 } }

    /// Starts a server on `host` (port 0: the kernel picks), runs `body`, stops it whatever happens.
    static func with<T>(host: String, port: UInt16 = 0, _ body: (RecordingServer) async throws -> T) async throws -> T {
        let cover = try TestImagesCache.cover
        let server: LoopbackServer
        do {
            server = try await LoopbackServer.start(host: host, port: port, timeout: .seconds(10))
        } catch {
            throw TestFailure("no server could listen on \(host): \(error)")
        }
        let recording = RecordingServer(server: server)
        server.handle { [received = recording.received] request in
            received.withLock { $0.append("\(request.method.rawValue) \(request.path)") }
            return HTTPResponse(status: .ok, headers: ["Content-Type": "image/jpeg"], bytes: cover)
        }
        let result: Result<T, any Error>
        do { result = .success(try await body(recording)) } catch { result = .failure(error) }
        await server.stop()
        return try result.get()
    }
}

enum TestImagesCache {
    /// A valid 400x600 JPEG cover.
    static var cover: [UInt8] {
        get throws { try TestImages.encode(.gradient, width: 400, height: 600, as: .jpeg) }
    }
}

extension TestService {
    /// What the book chain answers when every provider misses, after the imageUrl's refusal.
    static let providersMissed = "openlibrary: 1 image refused (HTTP 404); googlebooks: not found; upcitemdb: not found"

    /// Enriches a book whose own imageUrl is `url` while every provider misses, checks the outcome
    /// (notFound, `imageUrl: <refusal>` first in failureReason, no cover, nothing stored) and returns
    /// the imageUrl's refusal.
    func ownImageRefusal(_ url: String) async throws -> String {
        let (item, raw) = try await enrichOne(.books, "b", ["isbn": "9780980200447", "imageUrl": url])
        let entity = EntityView(raw)
        // A refused image is a normal answer ("not usable"), and the providers answered too: not found, not failed.
        #expect(item.outcome == "notFound", "\(item)")
        #expect(entity.status == "failed", "\(entity)")
        #expect(entity.coverIsNull, "\(entity)")
        #expect(entity.permanentFailure == false, "\(entity)")
        let stored = try await storedImageDocuments()
        #expect(stored.files == 0 && stored.chunks == 0, "stored \(stored.files) files, \(stored.chunks) chunks")
        let reason = try #require(entity.failureReason, "\(entity)")
        let prefix = "imageUrl: ", suffix = "; " + Self.providersMissed
        guard reason.hasPrefix(prefix), reason.hasSuffix(suffix) else {
            Issue.record("failureReason is not 'imageUrl: ...; <providers>': \(reason)")
            return reason
        }
        return String(reason.dropFirst(prefix.count).dropLast(suffix.count))
    }
}
