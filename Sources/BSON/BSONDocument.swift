/// An ordered BSON document with unique keys: the top-level unit MongoDB stores, queries and returns.
/// Lookups are linear for small documents and hashed once a document grows past a few keys.
public struct BSONDocument: Sendable {
    public typealias Element = (key: String, value: BSONValue)

    /// The key/value pairs in order. Keys are unique.
    private(set) var elements: [Element]
    /// Key → position in `elements`, maintained only for larger documents.
    private var index: [String: Int]?

    /// Documents with more keys than this maintain a hash index.
    static let indexThreshold = 16

    /// The deepest nesting of documents and arrays the binary parser accepts (the top level counts as 1).
    public static let maximumNestingDepth = 100

    /// An empty document.
    public init() {
        elements = []
        index = nil
    }

    /// A document with `pairs` in order; a repeated key replaces the earlier value in place.
    public init(_ pairs: [(String, BSONValue)]) {
        self.init()
        elements.reserveCapacity(pairs.count)
        for (key, value) in pairs {
            self[key] = value
        }
    }

    /// The value for `key`, or `nil`. Setting an existing key replaces its value in place,
    /// setting a new key appends it, and setting `nil` removes the key.
    public subscript(key: String) -> BSONValue? {
        get {
            position(of: key).map { elements[$0].value }
        }
        set {
            if let newValue {
                if let position = position(of: key) {
                    elements[position].value = newValue
                } else {
                    appendNew(key, newValue)
                }
            } else {
                removeValue(forKey: key)
            }
        }
    }

    /// The keys in order.
    public var keys: [String] {
        elements.map(\.key)
    }

    /// The values in key order.
    public var values: [BSONValue] {
        elements.map(\.value)
    }

    public var count: Int {
        elements.count
    }

    public var isEmpty: Bool {
        elements.isEmpty
    }

    /// Appends `key` at the end. Keys stay unique: if `key` is already present, its value is
    /// replaced in place instead (same as the subscript setter).
    public mutating func append(_ key: String, _ value: BSONValue) {
        self[key] = value
    }

    /// Removes `key`, returning its former value.
    @discardableResult
    public mutating func removeValue(forKey key: String) -> BSONValue? {
        guard let position = position(of: key) else { return nil }
        let removed = elements.remove(at: position).value
        if index != nil {
            rebuildIndex()
        }
        return removed
    }

    /// Whether `key` is present (even if its value is `.null`).
    public func containsKey(_ key: String) -> Bool {
        position(of: key) != nil
    }

    // MARK: - Internal storage helpers

    func position(of key: String) -> Int? {
        if let index {
            return index[key]
        }
        return elements.firstIndex { $0.key == key }
    }

    /// Appends a key the caller has checked is absent.
    mutating func appendNew(_ key: String, _ value: BSONValue) {
        elements.append((key: key, value: value))
        if index != nil {
            index?[key] = elements.count - 1
        } else if elements.count > Self.indexThreshold {
            rebuildIndex()
        }
    }

    /// Appends `key` unless it is present; returns whether it was appended.
    mutating func appendIfAbsent(_ key: String, _ value: BSONValue) -> Bool {
        guard position(of: key) == nil else { return false }
        appendNew(key, value)
        return true
    }

    mutating func reserveCapacity(_ capacity: Int) {
        elements.reserveCapacity(capacity)
    }

    private mutating func rebuildIndex() {
        guard elements.count > Self.indexThreshold else {
            index = nil
            return
        }
        var newIndex = [String: Int](minimumCapacity: elements.count)
        for (position, element) in elements.enumerated() {
            newIndex[element.key] = position
        }
        index = newIndex
    }
}

extension BSONDocument: Equatable {
    /// Order-sensitive: documents are equal when they have the same keys, in the same order,
    /// with equal values (as their binary encodings would be).
    public static func == (lhs: BSONDocument, rhs: BSONDocument) -> Bool {
        guard lhs.elements.count == rhs.elements.count else { return false }
        for (left, right) in zip(lhs.elements, rhs.elements) where left.key != right.key || left.value != right.value {
            return false
        }
        return true
    }
}

extension BSONDocument: Sequence {
    public func makeIterator() -> IndexingIterator<[Element]> {
        elements.makeIterator()
    }

    public var underestimatedCount: Int {
        elements.count
    }
}
