/// Literal conformances so filters and updates read like JSON:
/// `["_id": ["$gt": .string(c)], "n": 5, "tags": ["a", "b"]]`. Integer literals become `.int64`.

extension BSONValue: ExpressibleByStringLiteral {
    public init(stringLiteral value: String) {
        self = .string(value)
    }
}

extension BSONValue: ExpressibleByIntegerLiteral {
    public init(integerLiteral value: Int64) {
        self = .int64(value)
    }
}

extension BSONValue: ExpressibleByFloatLiteral {
    public init(floatLiteral value: Double) {
        self = .double(value)
    }
}

extension BSONValue: ExpressibleByBooleanLiteral {
    public init(booleanLiteral value: Bool) {
        self = .bool(value)
    }
}

extension BSONValue: ExpressibleByArrayLiteral {
    public init(arrayLiteral elements: BSONValue...) {
        self = .array(elements)
    }
}

extension BSONValue: ExpressibleByDictionaryLiteral {
    /// Builds a `.document`; a repeated key replaces the earlier value in place.
    public init(dictionaryLiteral elements: (String, BSONValue)...) {
        self = .document(BSONDocument(elements))
    }
}

extension BSONDocument: ExpressibleByDictionaryLiteral {
    /// Keeps the literal's order; a repeated key replaces the earlier value in place.
    public init(dictionaryLiteral elements: (String, BSONValue)...) {
        self.init(elements)
    }
}
