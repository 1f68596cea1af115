import Foundation

/// A retail product as a barcode database (UPCitemdb) describes it.
public struct Product: Sendable, Equatable, Codable {
    public var title: String
    /// Retailer image URLs: untrusted, often dead; a last resort.
    public var imageURLs: [String]

    public init(title: String, imageURLs: [String]) {
        self.title = title
        self.imageURLs = imageURLs
    }
}

/// What providers share during one entity's trip through its chain. The barcode -> product lookup
/// is made at most once per entity, whichever providers need it (TMDb, IGDB, GiantBomb for the
/// title; UPCitemdb itself for its images).
public actor LookupContext {
    public typealias ProductLookup = @Sendable (String) async throws(ProviderFailure) -> Product

    private let lookup: ProductLookup?
    /// One lookup per barcode, shared by callers that arrive while it is still running (the actor
    /// is reentrant across the `await`, so memoising only finished answers would let two through).
    private var answers: [String: Task<Result<Product, ProviderFailure>, Never>] = [:]

    /// `lookup` is nil when no barcode database is enabled. `known`: products an earlier part of the
    /// same trip found (a lookup resumed after waiting for a provider's budget).
    public init(productLookup lookup: ProductLookup?, known: [String: Product] = [:]) {
        self.lookup = lookup
        answers = known.mapValues { product in Task { .success(product) } }
    }

    /// The products found so far, by barcode (failures are not kept: a resumed trip may ask again).
    public func products() async -> [String: Product] {
        var found: [String: Product] = [:]
        for (barcode, answer) in answers {
            if case .success(let product) = await answer.value { found[barcode] = product }
        }
        return found
    }

    /// The product for a barcode; `.configuration` when no barcode database is enabled.
    public func product(barcode: String) async throws(ProviderFailure) -> Product {
        if let answer = answers[barcode] { return try await answer.value.get() }
        guard let lookup else { throw .configuration("no barcode database (upcitemdb) is enabled to find a title") }
        let answer = Task { () async -> Result<Product, ProviderFailure> in
            do throws(ProviderFailure) { return .success(try await lookup(barcode)) } catch { return .failure(error) }
        }
        answers[barcode] = answer
        return try await answer.value.get()
    }
}
