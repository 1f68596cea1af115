import EnricherCore
import Foundation
import Testing

/// The status page in a real headless Chromium (Debian's `chromium`, which `scripts/bootstrap --test`
/// installs), against the real service and fake providers, driven by `Tests/Browser/status_page_check.py`
/// over the DevTools protocol. Without Chromium the test fails: it is part of what CI must show.
@Suite("Status page in a browser", .serialized)
struct StatusPageBrowserTests {
    static let script = RepositoryTests.root.appendingPathComponent("Tests/Browser/status_page_check.py").path
    static let output = RepositoryTests.root.appendingPathComponent(".build/test-output")

    /// `ENRICHER_TEST_CHROMIUM`, else `chromium` on PATH.
    static func chromium() throws -> String {
        if let configured = ProcessInfo.processInfo.environment["ENRICHER_TEST_CHROMIUM"], !configured.isEmpty { return configured }
        guard let found = executable("chromium") else {
            throw TestFailure("chromium is not installed: run scripts/bootstrap --test (or set ENRICHER_TEST_CHROMIUM)")
        }
        return found
    }

    static func executable(_ name: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        return path.split(separator: ":").map { "\($0)/\(name)" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    @Test("Chromium shows a running job's progress move to 100 % and a cover thumbnail load, asking nothing but this service",
          arguments: [Progress.eventStream, .polling])
    func liveProgress(_ progress: Progress) async throws {
        let chromium = try Self.chromium()
        let python = try #require(Self.executable("python3"), "python3 is not on PATH")
        let screenshot = Self.output.appendingPathComponent(progress.screenshot)
        let phone = Self.output.appendingPathComponent(progress.screenshot.replacingOccurrences(of: ".png", with: "-phone.png"))
        try FileManager.default.createDirectory(at: Self.output, withIntermediateDirectories: true)
        for file in [screenshot, phone] { try? FileManager.default.removeItem(at: file) }
        try await FakeWorld.with { world in
            // One worker and slow answers: the job takes several seconds, so the page sees it run.
            world[.openLibrary].scenario = .slow(.milliseconds(250))
            // And two movies nobody has a cover for, so failures show.
            for kind in [FakeProvider.Kind.tmdb, .upcItemDB] { world[kind].scenario = .miss }
            var environment = world.environment
            environment[ConfigurationKey.workers.name] = "1"
            try await TestService.with(environment) { service in
                let books = (0..<12).map { index -> (MediaType, String, [String: Any]) in
                    (.books, "shown-\(index)", ["title": "Shown book \(index)", "isbn": Identifiers.isbn13(600 + index)])
                }
                let movies = (0..<2).map { index -> (MediaType, String, [String: Any]) in
                    (.movies, "unknown-\(index)", ["title": "Unknown movie \(index)", "barcode": Identifiers.upcA(600 + index)])
                }
                for (mediaType, id, fields) in books + movies {
                    let put = try await service.client.put("/v1/entities/\(mediaType.rawValue)/\(id)", fields)
                    try #require(put.status == 201, "\(put.text)")
                }
                // The script starts the job itself once the page is watching.
                let body = try JSONSerialization.data(withJSONObject: ["entities": (books + movies).map { ["mediaType": $0.0.rawValue, "id": $0.1] }])
                let clock = ContinuousClock()
                let started = clock.now
                let result = try await Self.run(python, [
                    Self.script, "--url", "http://127.0.0.1:\(service.client.port)/ui", "--key", TestService.apiKey,
                    "--start", String(decoding: body, as: UTF8.self),
                    "--found", "12", "--screenshot", screenshot.path, "--chromium", chromium, "--timeout", "60",
                ] + progress.arguments)
                #expect(result.status == 0, "status_page_check.py failed:\n\(result.output)")
                #expect(clock.now - started < .seconds(90), "the browser check took \(clock.now - started)")
                // The page's own view of the job agrees with the API's.
                let listed = try await service.client.get("/v1/enrichments?limit=1").json["jobs"] as? [[String: Any]]
                let finished = try await service.client.job(try #require(listed?.first?["id"] as? String, "no job was started"))
                #expect(finished.status == "completed" && finished.counts["found"] == 12 && finished.counts["notFound"] == 2, "\(finished)")
            }
        }
        for file in [screenshot, phone] {
            let size = (try? FileManager.default.attributesOfItem(atPath: file.path)[.size] as? Int) ?? 0
            #expect(size > 10_000, "\(file.lastPathComponent) is missing or empty (\(size) bytes)")
        }
    }

    /// How the page learns of progress.
    enum Progress: CustomTestStringConvertible, Sendable {
        /// `GET /v1/enrichments/{id}/events`, read with fetch(); the first stream is cut short after one
        /// event, and the page resumes with `Last-Event-ID`.
        case eventStream
        /// The browser answers the stream 404, as a service without it would: the page polls the job.
        case polling

        var arguments: [String] { self == .polling ? ["--no-event-stream"] : ["--drop-stream-once"] }
        var screenshot: String { self == .polling ? "status-page-polling.png" : "status-page.png" }
        var testDescription: String { self == .polling ? "polling when there is no event stream" : "over the event stream" }
    }

    /// Runs a program to its end without holding a thread of the cooperative pool (the service under
    /// test answers the browser on it meanwhile); its output goes through a file.
    static func run(_ executable: String, _ arguments: [String]) async throws -> (status: Int32, output: String) {
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("status-page-check-\(UUID().uuidString).log")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: log) }
        let handle = try FileHandle(forWritingTo: log)
        defer { try? handle.close() }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.standardOutput = handle
        process.standardError = handle
        let status: Int32 = try await withCheckedThrowingContinuation { continuation in
            process.terminationHandler = { continuation.resume(returning: $0.terminationStatus) }
            do { try process.run() } catch {
                process.terminationHandler = nil
                continuation.resume(throwing: error)
            }
        }
        return (status, (try? String(contentsOf: log, encoding: .utf8)) ?? "")
    }
}
