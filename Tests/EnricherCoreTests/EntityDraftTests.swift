import EnricherCore
import Testing

@Suite("Entity validation")
struct EntityDraftTests {
    @Test("every problem is reported at once, each with its pointer")
    func allProblems() throws {
        let draft = EntityDraft(title: "", isbn: "123", barcode: "4006381333931", imageUrl: "javascript:alert(1)",
                                authors: Array(repeating: "A", count: 21), year: 3000)
        guard case .failure(let errors) = draft.validated(for: .books, pointerPrefix: "/entities/2") else {
            Issue.record("accepted an invalid draft")
            return
        }
        #expect(errors.errors.map(\.pointer) == [
            "/entities/2/title", "/entities/2/authors", "/entities/2/year", "/entities/2/isbn", "/entities/2/barcode", "/entities/2/imageUrl",
        ])
    }

    @Test("a movie's barcode is normalised and an isbn refused")
    func mediaTypeRules() throws {
        let movie = try EntityDraft(barcode: "5 901234 123457").validated(for: .movies).get()
        #expect(movie.barcode == "5901234123457")
        guard case .failure(let errors) = EntityDraft(isbn: "9780441013593").validated(for: .musics) else {
            Issue.record("an isbn was accepted on a music")
            return
        }
        #expect(errors.errors.first?.detail == "musics are identified by barcode; isbn applies to books only")
    }

    @Test("image URLs must be absolute http or https", arguments: [
        ("https://covers.example.com/a.jpg", true), ("http://example.com/a.jpg", true), ("HTTPS://example.com/a", true),
        ("ftp://example.com/a.jpg", false), ("/relative.jpg", false), ("https://", false), ("file:///etc/passwd", false),
    ])
    func imageURLs(url: String, valid: Bool) {
        let result = EntityDraft(imageUrl: url).validated(for: .games)
        if case .success = result { #expect(valid) } else { #expect(!valid) }
    }
}
