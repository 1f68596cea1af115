/// Conversion between `BSONDocument` and the BSON binary format (bsonspec.org), the wire and storage form.
extension BSONDocument {
    /// Parses exactly one BSON document occupying all of `bytes`.
    ///
    /// Strict and safe for untrusted input: throws `BSONError.malformed` for bad or inconsistent
    /// lengths, missing terminators, invalid UTF-8, invalid booleans, duplicate keys, trailing bytes,
    /// or nesting deeper than `maximumNestingDepth`; throws `BSONError.unsupportedType` for
    /// BSON types this module does not model (decimal128, regex, timestamp, ...).
    public init(bytes: [UInt8]) throws {
        var reader = BSONReader(bytes)
        self = try reader.readTopLevelDocument()
    }

    /// The BSON binary encoding of this document.
    ///
    /// Keys are C strings in BSON: a key containing NUL is written only up to its first NUL.
    public func bytes() -> [UInt8] {
        var writer = BSONWriter()
        writer.writeDocument(self)
        return writer.bytes
    }
}
