import EnricherCore
import Enrichment
import Foundation

extension EntityFilter {
    static let fields: Set<String> = ["mediaTypes", "statuses", "provider", "failureReason", "lookedUpBefore", "lookedUpAfter"]

    /// The sources a lookup records in `imageLookup.sources`: every provider, and the entity's own image URL.
    static var sources: [String] { ProviderCatalog.all.ids.map(\.rawValue) + [EnrichmentEngine.ownImageSource] }

    /// Reads a filter object at `pointer`, adding an error with a JSON pointer for every problem.
    static func read(_ value: JSONValue, at pointer: String, errors: inout [FieldError]) -> EntityFilter? {
        guard case .object(let object) = value else {
            errors.append(FieldError(pointer: pointer, detail: "must be an object with some of \(fields.sorted().joined(separator: ", ")), got \(value.typeName)"))
            return nil
        }
        let before = errors.count
        errors += JSONValue.unknownFields(object, allowed: fields, at: pointer)
        var filter = EntityFilter()
        filter.mediaTypes = names(object["mediaTypes"], at: "\(pointer)/mediaTypes", kind: "media type", list: MediaType.list, errors: &errors)
        filter.statuses = names(object["statuses"], at: "\(pointer)/statuses", kind: "status", list: EntityStatus.list, errors: &errors)
        switch object["provider"] {
        case nil, .null: break
        case .string(let name) where sources.contains(where: { $0.caseInsensitiveCompare(name) == .orderedSame }):
            filter.provider = sources.first { $0.caseInsensitiveCompare(name) == .orderedSame }
        case let other?:
            let got = if case .string(let name) = other { "'\(String(name.prefix(64)))'" } else { other.typeName }
            errors.append(FieldError(pointer: "\(pointer)/provider", detail: "must be one of \(sources.joined(separator: ", ")), got \(got)"))
        }
        switch object["failureReason"] {
        case nil, .null: break
        // Counted in Unicode scalars, not characters: one character can carry any number of combining marks.
        case .string(let text) where (1...maxFailureReasonLength).contains(text.unicodeScalars.count)
                                    && !text.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }):
            filter.failureReason = text
        case let other?:
            let got = if case .string(let text) = other { "text of \(text.unicodeScalars.count) characters" } else { other.typeName }
            errors.append(FieldError(pointer: "\(pointer)/failureReason",
                                     detail: "must be text of 1 to \(maxFailureReasonLength) characters without control characters (matched ignoring case), got \(got)"))
        }
        filter.lookedUpBefore = date(object["lookedUpBefore"], at: "\(pointer)/lookedUpBefore", errors: &errors)
        filter.lookedUpAfter = date(object["lookedUpAfter"], at: "\(pointer)/lookedUpAfter", errors: &errors)
        if let after = filter.lookedUpAfter, let before = filter.lookedUpBefore, after >= before {
            errors.append(FieldError(pointer: "\(pointer)/lookedUpAfter", detail: "must be earlier than lookedUpBefore, or nothing matches"))
        }
        return errors.count == before ? filter : nil
    }

    /// A list of distinct names of a kind (media types, statuses); absent or null: any. An empty list is
    /// refused: read as "any", it would widen a re-run to the whole catalog (an empty shell variable).
    private static func names<Name: RawRepresentable<String>>(_ value: JSONValue?, at pointer: String, kind: String, list: String,
                                                              errors: inout [FieldError]) -> [Name] {
        switch value {
        case nil, .null: return []
        case .array(let items) where (1...maxNames).contains(items.count):
            var names: [Name] = []
            for (index, item) in items.enumerated() {
                guard case .string(let raw) = item, let name = Name(rawValue: raw) else {
                    errors.append(FieldError(pointer: "\(pointer)/\(index)", detail: "must be a \(kind): one of \(list)"))
                    continue
                }
                if !names.contains(where: { $0.rawValue == raw }) { names.append(name) }
            }
            return names
        case let other?:
            let got = if case .array(let items) = other { "\(items.count) items" } else { other.typeName }
            errors.append(FieldError(pointer: pointer, detail: "must be an array of 1 to \(maxNames) \(kind) names (\(list)); leave it out for any; got \(got)"))
            return []
        }
    }

    private static func date(_ value: JSONValue?, at pointer: String, errors: inout [FieldError]) -> Date? {
        switch value {
        case nil, .null: return nil
        case .string(let text):
            if let date = JSONValue.date(text) { return date }
            fallthrough
        default:
            errors.append(FieldError(pointer: pointer, detail: "must be an RFC 3339 date-time such as 2026-11-01T00:00:00Z"))
            return nil
        }
    }
}

/// A filter given on the command line (`enricher enrich --filter mediaTypes=movies --filter provider=tmdb`),
/// read by the same rules as the API's.
public enum FilterArguments {
    /// Each argument is `name=value`; list fields (`mediaTypes`, `statuses`) take comma-separated values.
    /// Returns the filter, or every problem in words.
    public static func parse(_ arguments: [String]) -> Result<EntityFilter, FieldErrors> {
        var object: [String: JSONValue] = [:]
        var errors: [FieldError] = []
        for argument in arguments {
            guard let equals = argument.firstIndex(of: "=") else {
                errors.append(FieldError(pointer: "/\(argument)", detail: "must be name=value, a name one of \(EntityFilter.fields.sorted().joined(separator: ", "))"))
                continue
            }
            let name = String(argument[..<equals]), value = String(argument[argument.index(after: equals)...])
            object[name] = ["mediaTypes", "statuses"].contains(name)
                ? .array(value.split(separator: ",").map { .string($0.trimmingCharacters(in: .whitespaces)) })
                : .string(value)
        }
        let filter = EntityFilter.read(.object(object), at: "", errors: &errors)
        guard let filter, errors.isEmpty else { return .failure(FieldErrors(errors)) }
        return .success(filter)
    }
}
