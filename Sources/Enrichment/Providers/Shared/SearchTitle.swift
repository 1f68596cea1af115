import Foundation

/// The title a search-by-title provider (TMDb, GiantBomb, IGDB) looks for: the entity's own title,
/// or else the barcode database's product title cleaned of edition and format noise.
enum SearchTitle {
    static func resolve(_ query: LookupQuery, context: LookupContext) async throws(ProviderFailure) -> String {
        if let title = query.title?.trimmingCharacters(in: .whitespacesAndNewlines), !title.isEmpty {
            return title
        }
        guard let barcode = query.identifier else { throw .notFound }
        let product: Product
        do {
            product = try await context.product(barcode: barcode)
        } catch {
            // Say which lookup failed, so a UPCitemdb timeout is not read (nor counted) as this provider's own.
            switch error {
            case .notFound: throw .notFound
            // Kept as a throttle so the retry honours the wait UPCitemdb asked for.
            case .throttled, .circuitOpen: throw error
            case .transient(let detail), .titleSourceUnavailable(let detail):
                throw .titleSourceUnavailable("title lookup via upcitemdb: \(detail)")
            case .configuration(let detail): throw .configuration("title lookup via upcitemdb: \(detail)")
            case .interrupted: throw error
            }
        }
        let title = TitleCleaner.clean(product.title)
        guard !title.isEmpty else { throw .notFound }
        return title
    }
}
