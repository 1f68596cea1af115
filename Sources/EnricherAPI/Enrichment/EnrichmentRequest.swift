import EnricherCore
import Foundation

/// The body of `POST /v1/enrichments`, read field by field with a JSON pointer for every problem: the
/// entities by id (`entities`), or a re-run of those a filter takes (`filter`, optionally only counted: `dryRun`).
struct EnrichmentRequest {
    var keys: [(index: Int, key: EntityKey)]
    /// Items naming an entity already named earlier in the request.
    var duplicates: [(index: Int, key: EntityKey, earlier: Int)]
    /// The filter of a re-run; nil when `entities` are named.
    var filter: EntityFilter?
    /// Only count what the filter takes.
    var dryRun: Bool
    var force: Bool
    var callbackUrl: String?

    static let fields: Set<String> = ["entities", "filter", "dryRun", "force", "callbackUrl"]
    static let itemFields: Set<String> = ["mediaType", "id"]

    static func read(_ body: JSONValue, maxEntities: Int) -> Result<EnrichmentRequest, FieldErrors> {
        guard case .object(let object) = body else {
            return .failure(FieldErrors([FieldError(pointer: "/", detail: "must be an object {\"entities\": [{\"mediaType\": ..., \"id\": ...}]} or {\"filter\": {...}}, got \(body.typeName)")]))
        }
        var errors = JSONValue.unknownFields(object, allowed: fields)
        var request = EnrichmentRequest(keys: [], duplicates: [], filter: nil, dryRun: false, force: false, callbackUrl: nil)
        request.force = JSONValue.optionalBool(object, "force", errors: &errors)
        request.dryRun = JSONValue.optionalBool(object, "dryRun", errors: &errors)
        switch object["callbackUrl"] {
        case nil, .null: break
        case .string(let url):
            if let problem = Self.callbackProblem(url) {
                errors.append(FieldError(pointer: "/callbackUrl", detail: problem))
            } else {
                request.callbackUrl = url
            }
        case let other?: errors.append(FieldError(pointer: "/callbackUrl", detail: "must be a string, got \(other.typeName)"))
        }
        switch (object["entities"], object["filter"]) {
        case (let entities?, let filter?) where entities != .null && filter != .null:
            errors.append(FieldError(pointer: "/filter", detail: "give either entities (by id) or a filter, not both"))
            return .failure(FieldErrors(errors))
        case (_, let filter?) where filter != .null:
            request.filter = EntityFilter.read(filter, at: "/filter", errors: &errors)
            return errors.isEmpty ? .success(request) : .failure(FieldErrors(errors))
        default:
            break
        }
        if request.dryRun {
            errors.append(FieldError(pointer: "/dryRun", detail: "counts what a filter takes; with entities named by id there is nothing to count"))
        }
        guard case .array(let items)? = object["entities"], (1...maxEntities).contains(items.count) else {
            let detail: String
            if case .array(let items)? = object["entities"] {
                detail = "must hold 1 to \(maxEntities) entities (ENRICHER_JOB_MAX_ENTITIES), got \(items.count); a re-run of more takes a filter"
            } else {
                detail = "is required (or a filter): an array of 1 to \(maxEntities) {\"mediaType\", \"id\"} objects"
            }
            errors.append(FieldError(pointer: "/entities", detail: detail))
            return .failure(FieldErrors(errors))
        }
        var seen: [EntityKey: Int] = [:]
        for (index, item) in items.enumerated() {
            let pointer = "/entities/\(index)"
            guard case .object(let fields) = item else {
                errors.append(FieldError(pointer: pointer, detail: "must be an object {\"mediaType\", \"id\"}, got \(item.typeName)"))
                continue
            }
            errors += JSONValue.unknownFields(fields, allowed: itemFields, at: pointer)
            var mediaType: MediaType?
            switch fields["mediaType"] {
            case .string(let raw)?:
                mediaType = MediaType(rawValue: raw)
                if mediaType == nil { errors.append(FieldError(pointer: "\(pointer)/mediaType", detail: "'\(raw)' is not a media type; expected one of \(MediaType.list)")) }
            default: errors.append(FieldError(pointer: "\(pointer)/mediaType", detail: "is required, one of \(MediaType.list)"))
            }
            var id: String?
            switch fields["id"] {
            case .string(let raw)? where EntityKey.isValidID(raw): id = raw
            default: errors.append(FieldError(pointer: "\(pointer)/id", detail: "is required, \(EntityKey.idRule)"))
            }
            guard let mediaType, let id else { continue }
            let key = EntityKey(mediaType: mediaType, id: id)
            if let earlier = seen[key] {
                request.duplicates.append((index, key, earlier))
            } else {
                seen[key] = index
                request.keys.append((index, key))
            }
        }
        return errors.isEmpty ? .success(request) : .failure(FieldErrors(errors))
    }

    /// Why a callback URL cannot be used, or nil. (Where it points is checked when it is called.)
    static func callbackProblem(_ url: String) -> String? {
        guard url.utf8.count <= EntityLimits.imageUrl else { return "must be at most \(EntityLimits.imageUrl) characters" }
        guard let parsed = URLComponents(string: url), let scheme = parsed.scheme?.lowercased(),
              scheme == "http" || scheme == "https", let host = parsed.host, !host.isEmpty else {
            return "must be an absolute http or https URL"
        }
        return nil
    }
}
