/// Retail barcodes: UPC-A (12 digits), EAN-13 (13) and EAN-8 (8), all GTINs with a mod-10 check digit.
public enum Barcode {
    /// Returns the barcode as digits only, after removing hyphens and spaces and checking the check digit.
    public static func normalize(_ raw: String) throws(IdentifierFailure) -> String {
        let characters = raw.filter { $0 != "-" && $0 != " " }
        guard characters.allSatisfy({ $0.isASCII && $0.isNumber }) else { throw .invalidCharacters(.barcode) }
        let digits = characters.map { Int(String($0))! }
        guard [8, 12, 13].contains(digits.count) else { throw .wrongLength(.barcode, digits.count) }
        guard hasValidGTINCheckDigit(digits) else { throw .badChecksum(.barcode) }
        return String(characters)
    }

    /// GS1 check: from the right, excluding the check digit, weights alternate 3, 1, 3, ...
    static func hasValidGTINCheckDigit(_ digits: [Int]) -> Bool {
        guard let check = digits.last else { return false }
        let body = digits.dropLast().reversed()
        let sum = body.enumerated().reduce(0) { $0 + $1.element * ($1.offset.isMultiple(of: 2) ? 3 : 1) }
        return (10 - sum % 10) % 10 == check
    }
}

/// Why an ISBN or barcode was refused.
public enum IdentifierFailure: Error, Equatable, Sendable, CustomStringConvertible {
    case invalidCharacters(IdentifierKind)
    case wrongLength(IdentifierKind, Int)
    case badChecksum(IdentifierKind)

    public var description: String {
        switch self {
        case .invalidCharacters(.isbn): "an ISBN holds digits (and a final X for ISBN-10), with optional hyphens or spaces"
        case .invalidCharacters(.barcode): "a barcode holds digits only, with optional hyphens or spaces"
        case .wrongLength(.isbn, let count): "an ISBN has 10 or 13 digits, this one has \(count)"
        case .wrongLength(.barcode, let count): "a barcode is a UPC-A (12 digits), EAN-13 (13) or EAN-8 (8), this one has \(count) digits"
        case .badChecksum(.isbn): "the ISBN's check digit does not match"
        case .badChecksum(.barcode): "the barcode's check digit does not match"
        }
    }
}
