extension EntityDraft {
    /// The fields a lookup depends on, as the API names them: a change to any of them makes a finished
    /// lookup that found no cover worth doing again.
    public static let lookupFields = ["isbn", "barcode", "title", "year", "imageUrl"]

    /// Which of `lookupFields` differ from `earlier`. Both drafts are validated, so identifiers compare
    /// normalised (an ISBN sent with hyphens, or as the ISBN-10 of the same book, is the same ISBN).
    public func lookupChanges(from earlier: EntityDraft) -> [String] {
        var changed: [String] = []
        if isbn.map(ISBN.thirteen) != earlier.isbn.map(ISBN.thirteen) { changed.append("isbn") }
        if barcode != earlier.barcode { changed.append("barcode") }
        if title != earlier.title { changed.append("title") }
        if year != earlier.year { changed.append("year") }
        if imageUrl != earlier.imageUrl { changed.append("imageUrl") }
        return changed
    }
}
