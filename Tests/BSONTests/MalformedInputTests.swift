import BSON
import Testing

struct MalformedCase: Sendable, CustomTestStringConvertible {
    let name: String
    let bytes: [UInt8]

    init(_ name: String, _ hex: String) {
        self.name = name
        self.bytes = hexBytes(hex)
    }

    var testDescription: String { name }
}

@Suite("Malformed input")
struct MalformedInputTests {
    static let cases: [MalformedCase] = [
        MalformedCase("empty input", ""),
        MalformedCase("only a length prefix", "05000000"),
        MalformedCase("length prefix larger than input", "06000000 00"),
        MalformedCase("length prefix smaller than input", "05000000 00 00"),
        MalformedCase("negative length prefix", "ffffffff 00"),
        MalformedCase("missing document terminator", "05000000 01"),
        MalformedCase("hello world truncated", "16000000 02 68656c6c6f00 06000000 776f726c6400"),
        MalformedCase("hello world with shrunk prefix", "15000000 02 68656c6c6f00 06000000 776f726c6400"),
        MalformedCase("key runs into terminator", "08000000 0a 6162 00"),
        MalformedCase("type byte without key", "06000000 0a 00"),
        MalformedCase("string length zero", "0c000000 02 6100 00000000 00"),
        MalformedCase("string length negative", "0e000000 02 6100 ffffffff 7800 00"),
        MalformedCase("string length past document", "0e000000 02 6100 ff000000 7800 00"),
        MalformedCase("string missing NUL", "0e000000 02 6100 02000000 7878 00"),
        MalformedCase("string invalid UTF-8", "0e000000 02 6100 02000000 ff00 00"),
        MalformedCase("string overlong UTF-8", "0f000000 02 6100 03000000 c08000 00"),
        MalformedCase("string UTF-16 surrogate", "10000000 02 6100 04000000 eda08000 00"),
        MalformedCase("key invalid UTF-8", "0c000000 10 ff00 01000000 00"),
        MalformedCase("bool byte 2", "09000000 08 6200 02 00"),
        MalformedCase("int32 truncated", "0a000000 10 6100 0100 00"),
        MalformedCase("int64 truncated", "0c000000 12 6100 01000000 00"),
        MalformedCase("double truncated", "0b000000 01 6100 000000 00"),
        MalformedCase("datetime truncated", "08000000 09 6100 00"),
        MalformedCase("objectID truncated", "10000000 07 6100 0102030405060708 00"),
        MalformedCase("binary negative length", "0e000000 05 6100 ffffffff 00 00 00"),
        MalformedCase("binary length past document", "0e000000 05 6100 10000000 00 00 00"),
        MalformedCase("binary missing subtype", "0c000000 05 6100 00000000 00"),
        MalformedCase("nested length below minimum", "0d000000 03 6100 04000000 00 00"),
        MalformedCase("nested length past parent", "0d000000 03 6100 06000000 00 00"),
        MalformedCase("nested missing terminator", "0d000000 03 6100 05000000 01 00"),
        MalformedCase("nested length negative", "0d000000 03 6100 ffffffff 00 00"),
        MalformedCase("array element truncated", "12000000 04 6100 0a000000 10 3000 0100 00 00"),
        MalformedCase("unknown type 0x20", "0c000000 20 6100 01000000 00"),
        MalformedCase("unknown type 0x00 inside elements", "0c000000 00 6100 01000000 00"),
        MalformedCase("duplicate keys", "0b000000 0a 6100 0a 6100 00"),
    ]

    @Test("throws BSONError.malformed", arguments: cases)
    func rejects(input: MalformedCase) {
        #expect {
            try BSONDocument(bytes: input.bytes)
        } throws: { error in
            guard case .malformed = error as? BSONError else { return false }
            return true
        }
    }

    @Test("unsupported types throw unsupportedType with the key",
          arguments: [UInt8(0x06), 0x0B, 0x0C, 0x0D, 0x0E, 0x0F])
    func rejectsUnsupportedType(type: UInt8) {
        let bytes = hexBytes("15000000") + [type] + hexBytes("7800 0000000000000000 0000000000 00")
        #expect(throws: BSONError.unsupportedType(type, key: "x")) {
            try BSONDocument(bytes: bytes)
        }
    }

    @Test func nestingAtTheLimitIsAccepted() throws {
        let bytes = deeplyNestedBytes(depth: BSONDocument.maximumNestingDepth)
        #expect(try BSONDocument(bytes: bytes).count == 1)
    }

    @Test("nesting beyond the limit is rejected", arguments: [101, 1_000, 200_000])
    func rejectsDeepNesting(depth: Int) {
        #expect {
            try BSONDocument(bytes: deeplyNestedBytes(depth: depth))
        } throws: { error in
            guard case .malformed(let reason) = error as? BSONError else { return false }
            return reason.contains("nesting")
        }
    }

    @Test func deepArraysAreRejectedToo() {
        let document = nestedDocument(depth: BSONDocument.maximumNestingDepth + 1)
        #expect(throws: BSONError.self) {
            try BSONDocument(bytes: document.bytes())
        }
    }

    @Test func errorsDescribeTheProblem() {
        #expect {
            try BSONDocument(bytes: hexBytes("0e000000 02 6100 02000000 ff00 00"))
        } throws: { error in
            String(describing: error).contains("UTF-8") && String(describing: error).contains("'a'")
        }
    }

    /// Every prefix of a valid document, with the original or a corrected length prefix, must throw.
    @Test func everyTruncationThrows() {
        let bytes = kitchenSinkDocument.bytes()
        for length in 0..<bytes.count {
            var truncated = Array(bytes[..<length])
            #expect(throws: BSONError.self) { try BSONDocument(bytes: truncated) }
            if length >= 4 {
                truncated.replaceSubrange(0..<4, with: littleEndian(Int32(length)))
                #expect(throws: BSONError.self) { try BSONDocument(bytes: truncated) }
            }
        }
    }

    /// Corrupting any single byte must either parse to something stable or throw a BSONError — never crash.
    @Test func singleByteCorruptionNeverCrashes() {
        let bytes = kitchenSinkDocument.bytes()
        for position in bytes.indices {
            for replacement: UInt8 in [0x00, 0x01, 0x7F, 0x80, 0xFF, bytes[position] &+ 1, bytes[position] &- 1] {
                var corrupted = bytes
                corrupted[position] = replacement
                do {
                    let parsed = try BSONDocument(bytes: corrupted)
                    #expect(try BSONDocument(bytes: parsed.bytes()) == parsed)
                } catch {
                    #expect(error is BSONError)
                }
            }
        }
    }

    /// Pseudo-random garbage (deterministic) behind a plausible length prefix.
    @Test func randomGarbageNeverCrashes() {
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next() -> UInt8 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return UInt8(truncatingIfNeeded: state >> 33)
        }
        for _ in 0..<2_000 {
            let count = 5 + Int(next()) % 60
            var garbage = littleEndian(Int32(count)) + (4..<count).map { _ in next() }
            garbage[count - 1] = 0
            do {
                _ = try BSONDocument(bytes: garbage)
            } catch {
                #expect(error is BSONError)
            }
        }
    }
}
