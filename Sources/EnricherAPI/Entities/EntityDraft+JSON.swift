import EnricherCore

/// Reads an entity from a JSON object, reporting wrong types, unknown fields and every rule of
/// `EntityDraft.validated` at once, each with a JSON pointer.
struct EntityInput {
    var mediaType: MediaType?
    var id: String?
    var draft: EntityDraft

    static let fields: Set<String> = ["mediaType", "id", "title", "isbn", "barcode", "imageUrl", "authors", "artist", "platform", "year", "existingCover"]

    /// `pointer` locates the object in the request body ("" for the body itself, "/entities/3" in a batch).
    static func read(_ value: JSONValue, pointer: String) -> Result<EntityInput, FieldErrors> {
        guard case .object(let object) = value else {
            return .failure(FieldErrors([FieldError(pointer: pointer.isEmpty ? "/" : pointer, detail: "must be a JSON object, got \(value.typeName)")]))
        }
        var errors = JSONValue.unknownFields(object, allowed: fields, at: pointer)
        func string(_ key: String) -> String? {
            switch object[key] {
            case nil, .null: return nil
            case .string(let text): return text
            case let other?: errors.append(FieldError(pointer: "\(pointer)/\(key)", detail: "must be a string, got \(other.typeName)")); return nil
            }
        }
        var input = EntityInput(draft: EntityDraft())
        if let raw = string("mediaType") {
            if let mediaType = MediaType(rawValue: raw) { input.mediaType = mediaType } else {
                errors.append(FieldError(pointer: "\(pointer)/mediaType", detail: "'\(raw)' is not a media type; expected one of \(MediaType.list)"))
            }
        }
        if let id = string("id") {
            if EntityKey.isValidID(id) { input.id = id } else {
                errors.append(FieldError(pointer: "\(pointer)/id", detail: "must be \(EntityKey.idRule)"))
            }
        }
        input.draft.title = string("title")
        input.draft.isbn = string("isbn")
        input.draft.barcode = string("barcode")
        input.draft.imageUrl = string("imageUrl")
        input.draft.artist = string("artist")
        input.draft.platform = string("platform")
        switch object["authors"] {
        case nil, .null: break
        case .array(let items):
            var authors: [String] = []
            for (index, item) in items.enumerated() {
                if case .string(let name) = item { authors.append(name) } else {
                    errors.append(FieldError(pointer: "\(pointer)/authors/\(index)", detail: "must be a string, got \(item.typeName)"))
                }
            }
            input.draft.authors = authors
        case let other?:
            errors.append(FieldError(pointer: "\(pointer)/authors", detail: "must be an array of strings, got \(other.typeName)"))
        }
        switch object["year"] {
        case nil, .null: break
        case .integer(let year): input.draft.year = Int(clamping: year)
        case .number(let year) where year.rounded() == year && abs(year) < 1e9: input.draft.year = Int(year)
        case let other?: errors.append(FieldError(pointer: "\(pointer)/year", detail: "must be an integer, got \(other.typeName)"))
        }
        switch object["existingCover"] {
        case nil, .null: break
        case .object(let cover):
            errors += JSONValue.unknownFields(cover, allowed: ["url"], at: "\(pointer)/existingCover")
            switch cover["url"] {
            case nil, .null: input.draft.existingCover = ExistingCover()
            case .string(let url): input.draft.existingCover = ExistingCover(url: url)
            case let other?: errors.append(FieldError(pointer: "\(pointer)/existingCover/url", detail: "must be a string, got \(other.typeName)"))
            }
        case let other?:
            errors.append(FieldError(pointer: "\(pointer)/existingCover", detail: "must be an object ({} or {\"url\": ...}) or null, got \(other.typeName)"))
        }
        return errors.isEmpty ? .success(input) : .failure(FieldErrors(errors))
    }
}
