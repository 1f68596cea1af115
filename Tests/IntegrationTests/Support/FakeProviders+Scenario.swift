import Foundation

/// What a fake provider answers. The throttle, 5xx and image statuses are each service's own
/// (Open Library covers 403, MusicBrainz 503, GiantBomb 420...), so tests say what, not how.
enum FakeScenario: Sendable, Equatable {
    /// The fixture for a match, image URLs pointing at the fake's own image route.
    case hit
    /// The service's real "nothing matched" shape.
    case miss
    /// The service's "slow down" status and body, with this `Retry-After` (none when nil).
    case throttle(retryAfter: String?)
    /// A 5xx that is not the service's throttle status.
    case serverError
    /// Answers as `.hit` after this delay: for timeouts.
    case slow(Duration)
    /// A 200 whose body is the hit cut in half.
    case malformedJSON
    /// A hit whose image URLs answer 404.
    case hitWithDeadImage
    /// Exactly this answer.
    case reply(status: Int, body: String, headers: [String: String] = [:])
}

/// The parts of a fake that answer separately: MusicBrainz and the Cover Art Archive can each be
/// throttled while the other answers; a Google Books volume lookup can fail while its search answers.
enum FakeService: String, Sendable, CaseIterable {
    case openLibrary, openLibraryCovers, googleBooks, googleBooksVolume, upcItemDB, tmdb, giantBomb, igdb, twitch, musicBrainz, coverArtArchive
    /// The image host every fake also is (`/img/{original host}/{original path}`).
    case images
}
