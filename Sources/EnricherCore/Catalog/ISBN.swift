/// ISBN-10 and ISBN-13 checking and normalisation.
public enum ISBN {
    /// Returns the ISBN as digits only (a final ISBN-10 check character upper-cased `X`),
    /// after removing hyphens and spaces and checking the check digit.
    public static func normalize(_ raw: String) throws(IdentifierFailure) -> String {
        var characters: [Character] = []
        for character in raw where character != "-" && character != " " {
            characters.append(character == "x" ? "X" : character)
        }
        for (index, character) in characters.enumerated() {
            let isLastOfTen = index == 9 && characters.count == 10
            guard character.isASCII, character.isNumber || (character == "X" && isLastOfTen) else {
                throw .invalidCharacters(.isbn)
            }
        }
        let digits = characters.map { $0 == "X" ? 10 : Int(String($0))! }
        switch digits.count {
        case 10:
            // Weights 10 down to 1; the sum must be divisible by 11.
            let sum = digits.enumerated().reduce(0) { $0 + (10 - $1.offset) * $1.element }
            guard sum % 11 == 0 else { throw .badChecksum(.isbn) }
        case 13:
            guard Barcode.hasValidGTINCheckDigit(digits) else { throw .badChecksum(.isbn) }
        default:
            throw .wrongLength(.isbn, digits.count)
        }
        return String(characters)
    }

    /// A normalised ISBN as ISBN-13 (an ISBN-10 gets the 978 prefix and a new check digit), so the two
    /// forms of one book compare equal.
    public static func thirteen(_ normalized: String) -> String {
        guard normalized.count == 10 else { return normalized }
        let body = "978" + normalized.prefix(9)
        let sum = body.enumerated().reduce(0) { $0 + ($1.offset % 2 == 0 ? 1 : 3) * Int(String($1.element))! }
        return body + String((10 - sum % 10) % 10)
    }
}
