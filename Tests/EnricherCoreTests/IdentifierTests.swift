import EnricherCore
import Testing

@Suite("Identifiers")
struct IdentifierTests {
    @Test("valid ISBNs are normalised", arguments: [
        ("978-0-441-01359-3", "9780441013593"),
        ("9780441013593", "9780441013593"),
        ("0 441 17269 5", "0441172695"),
        ("0-8044-2957-x", "080442957X"),
        ("080442957X", "080442957X"),
        ("9781429952040", "9781429952040"),
    ])
    func validISBN(raw: String, normalized: String) throws {
        #expect(try ISBN.normalize(raw) == normalized)
    }

    @Test("invalid ISBNs are refused with the reason", arguments: [
        ("978-0-441-01359-0", IdentifierFailure.badChecksum(.isbn)),
        ("0441172696", .badChecksum(.isbn)),
        ("97804410135", .wrongLength(.isbn, 11)),
        ("", .wrongLength(.isbn, 0)),
        ("978O441013593", .invalidCharacters(.isbn)),
        ("X804429570", .invalidCharacters(.isbn)),
        ("978044101359X", .invalidCharacters(.isbn)),
        ("９７８0441013593", .invalidCharacters(.isbn)),
    ])
    func invalidISBN(raw: String, failure: IdentifierFailure) {
        #expect(throws: failure) { try ISBN.normalize(raw) }
    }

    @Test("valid UPC-A, EAN-13 and EAN-8 barcodes are normalised", arguments: [
        ("036000291452", "036000291452"),      // UPC-A
        ("4006381333931", "4006381333931"),    // EAN-13
        ("96385074", "96385074"),              // EAN-8
        ("5 901234 123457", "5901234123457"),
        ("0-12345-67890-5", "012345678905"),
    ])
    func validBarcode(raw: String, normalized: String) throws {
        #expect(try Barcode.normalize(raw) == normalized)
    }

    @Test("invalid barcodes are refused with the reason", arguments: [
        ("4006381333932", IdentifierFailure.badChecksum(.barcode)),
        ("036000291453", .badChecksum(.barcode)),
        ("96385075", .badChecksum(.barcode)),
        ("12345", .wrongLength(.barcode, 5)),
        ("40063813339311", .wrongLength(.barcode, 14)),
        ("40063813339A1", .invalidCharacters(.barcode)),
    ])
    func invalidBarcode(raw: String, failure: IdentifierFailure) {
        #expect(throws: failure) { try Barcode.normalize(raw) }
    }

    @Test("entity ids are URL-safe tokens of 1 to 128 characters", arguments: [
        ("507f1f77bcf86cd799439011", true), ("a.b_c~d:e-f", true), (String(repeating: "a", count: 128), true),
        ("", false), (String(repeating: "a", count: 129), false), ("a/b", false), ("a b", false), ("é", false),
    ])
    func entityIDs(id: String, valid: Bool) {
        #expect(EntityKey.isValidID(id) == valid)
    }
}
