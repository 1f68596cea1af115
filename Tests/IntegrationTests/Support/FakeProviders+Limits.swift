import Foundation

/// A provider's documented limit, as it counts it: arrivals at its side, in any window of `window`
/// (MusicBrainz: 1 in any second; UPCitemdb's trial: 6 in any minute; Open Library covers by ISBN: 100
/// in any 5 minutes). A fake enforcing one answers past it with the provider's own throttle status.
struct FakeLimit: Sendable {
    var services: Set<FakeService>
    /// Only requests whose path starts with this count (Open Library covers by ISBN, not by ID).
    var pathPrefix: String?
    /// Images from this host count too (the fake serves them as `/img/{host}/...`): the Cover Art
    /// Archive's images are requests to `coverartarchive.org` before its redirect.
    var imageHost: String?
    var count: Int
    var window: Duration

    init(services: Set<FakeService>, pathPrefix: String? = nil, imageHost: String? = nil, count: Int, window: Duration) {
        self.services = services
        self.pathPrefix = pathPrefix
        self.imageHost = imageHost
        self.count = count
        self.window = window
    }

    func counts(_ request: RecordedRequest) -> Bool {
        guard let service = request.service else { return false }
        if service == .images, let imageHost { return request.path.hasPrefix("/img/\(imageHost)/") }
        guard services.contains(service) else { return false }
        return pathPrefix.map { request.path.hasPrefix($0) } ?? true
    }

    /// Whether `request`, just arrived, makes a window hold more than `count` (the window ending at it).
    func isExceeded(by request: RecordedRequest, among requests: [RecordedRequest]) -> Bool {
        guard counts(request) else { return false }
        let since = request.time - window
        return requests.filter { counts($0) && $0.time > since && $0.time <= request.time }.count > count
    }

    /// The most arrivals any window of `window` held, and the closest two arrivals, over `requests`.
    func worst(in requests: [RecordedRequest]) -> (most: Int, closest: Duration?) {
        let times = requests.filter(counts).map(\.time).sorted()
        var most = 0
        var start = 0
        for end in times.indices {
            while times[end] - times[start] >= window { start += 1 }
            most = max(most, end - start + 1)
        }
        let closest = zip(times, times.dropFirst()).map { $1 - $0 }.min()
        return (most, closest)
    }
}

extension FakeProvider {
    /// From now on, answers requests past `limit` as the real provider does.
    func enforce(_ limit: FakeLimit) {
        withState { $0.limits.append(limit) }
    }

    /// Requests answered with a throttle because they broke an enforced limit.
    var refusedForRate: Int { withState { $0.refusedForRate } }
}
