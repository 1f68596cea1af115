import Foundation

/// What the catalog tells Enricher about one entity: everything but Enricher's own findings.
/// A draft that exists has passed validation; build one with `EntityDraft.validate`.
public struct EntityDraft: Sendable, Equatable {
    public var title: String?
    public var isbn: String?
    public var barcode: String?
    public var imageUrl: String?
    public var authors: [String]?
    public var artist: String?
    public var platform: String?
    public var year: Int?
    /// The catalog already has a cover for it: Enricher does not look for one unless forced.
    public var existingCover: ExistingCover?

    public init(title: String? = nil, isbn: String? = nil, barcode: String? = nil, imageUrl: String? = nil,
                authors: [String]? = nil, artist: String? = nil, platform: String? = nil, year: Int? = nil,
                existingCover: ExistingCover? = nil) {
        self.title = title
        self.isbn = isbn
        self.barcode = barcode
        self.imageUrl = imageUrl
        self.authors = authors
        self.artist = artist
        self.platform = platform
        self.year = year
        self.existingCover = existingCover
    }
}

/// One field's problem, located by a JSON pointer into the request body.
public struct FieldError: Sendable, Equatable, Codable {
    public var pointer: String
    public var detail: String

    public init(pointer: String, detail: String) {
        self.pointer = pointer
        self.detail = detail
    }
}

/// Limits on what the catalog may send, fixed by the API contract (openapi/openapi.yaml).
public enum EntityLimits {
    public static let title = 512
    public static let person = 256
    public static let authors = 20
    public static let platform = 128
    public static let imageUrl = 2048
    public static let years = 1000...2100
}

extension EntityDraft {
    /// Checks the catalog's values against the media type's rules and normalises identifiers.
    /// Returns every problem found, each with its JSON pointer under `pointerPrefix`.
    public func validated(for mediaType: MediaType, pointerPrefix: String = "") -> Result<EntityDraft, FieldErrors> {
        var draft = self
        var errors: [FieldError] = []
        func fail(_ field: String, _ detail: String) {
            errors.append(FieldError(pointer: "\(pointerPrefix)/\(field)", detail: detail))
        }
        func checkLength(_ value: String?, _ field: String, _ limit: Int) {
            guard let value else { return }
            if value.isEmpty {
                fail(field, "must not be empty")
            } else if value.unicodeScalars.count > limit {
                // Counted in code points, as JSON Schema's maxLength counts them.
                fail(field, "must be at most \(limit) characters, got \(value.unicodeScalars.count)")
            }
        }
        checkLength(title, "title", EntityLimits.title)
        checkLength(artist, "artist", EntityLimits.person)
        checkLength(platform, "platform", EntityLimits.platform)
        if let authors {
            if authors.count > EntityLimits.authors {
                fail("authors", "must list at most \(EntityLimits.authors) authors, got \(authors.count)")
            }
            for (index, author) in authors.enumerated() { checkLength(author, "authors/\(index)", EntityLimits.person) }
        }
        if let year, !EntityLimits.years.contains(year) {
            fail("year", "must be between \(EntityLimits.years.lowerBound) and \(EntityLimits.years.upperBound), got \(year)")
        }
        if let isbn {
            if mediaType.identifier != .isbn {
                fail("isbn", "\(mediaType.rawValue) are identified by barcode; isbn applies to books only")
            } else {
                do { draft.isbn = try ISBN.normalize(isbn) } catch { fail("isbn", "'\(isbn)' is not a valid ISBN: \(error)") }
            }
        }
        if let barcode {
            if mediaType.identifier != .barcode {
                fail("barcode", "books are identified by isbn; barcode applies to movies, games and musics")
            } else {
                do { draft.barcode = try Barcode.normalize(barcode) } catch { fail("barcode", "'\(barcode)' is not a valid barcode: \(error)") }
            }
        }
        if let imageUrl {
            if let problem = Self.problem(withImageURL: imageUrl) { fail("imageUrl", problem) }
        }
        if let url = existingCover?.url {
            if let problem = Self.problem(withImageURL: url) { fail("existingCover/url", problem) }
        }
        return errors.isEmpty ? .success(draft) : .failure(FieldErrors(errors))
    }

    static func problem(withImageURL raw: String) -> String? {
        guard raw.unicodeScalars.count <= EntityLimits.imageUrl else {
            return "must be at most \(EntityLimits.imageUrl) characters, got \(raw.unicodeScalars.count)"
        }
        guard let url = URL(string: raw), let scheme = url.scheme?.lowercased() else {
            return "'\(raw)' is not an absolute URL"
        }
        guard scheme == "http" || scheme == "https" else {
            return "only http and https URLs are accepted, got '\(scheme)'"
        }
        guard let host = url.host, !host.isEmpty else {
            return "'\(raw)' has no host"
        }
        return nil
    }
}

/// A non-empty list of field problems.
public struct FieldErrors: Error, Sendable, Equatable {
    public var errors: [FieldError]
    public init(_ errors: [FieldError]) { self.errors = errors }
    public var summary: String { errors.map { "\($0.pointer): \($0.detail)" }.joined(separator: "; ") }
}
