/// The byte classes of RFC 9110/9112 the parsers test on every byte, kept in one place so the head,
/// the trailer section and the chunk lines agree on them.
enum HTTPGrammar {
    static let cr: UInt8 = 0x0D
    static let lf: UInt8 = 0x0A
    static let sp: UInt8 = 0x20
    static let htab: UInt8 = 0x09
    static let colon = UInt8(ascii: ":")
    static let comma = UInt8(ascii: ",")
    static let semicolon = UInt8(ascii: ";")
    static let percent = UInt8(ascii: "%")
    static let slash = UInt8(ascii: "/")
    static let asterisk = UInt8(ascii: "*")

    /// tchar (RFC 9110 §5.6.2): `!#$%&'*+-.^_`|~`, digits and letters, as a 128-bit set.
    @inline(__always)
    static func isToken(_ b: UInt8) -> Bool {
        inSet(b, low: 0x03FF_6CFA_0000_0000, high: 0x57FF_FFFF_C7FF_FFFE)
    }

    /// Whether ASCII byte `b` is in the set whose bits for 0-63 are `low` and for 64-127 are `high`.
    @inline(__always)
    private static func inSet(_ b: UInt8, low: UInt64, high: UInt64) -> Bool {
        b < 64 ? (low >> UInt64(b)) & 1 != 0 : b < 128 ? (high >> UInt64(b &- 64)) & 1 != 0 : false
    }

    /// A byte allowed inside a field value: VCHAR, SP, HTAB or obs-text (RFC 9110 §5.5).
    @inline(__always)
    static func isFieldValue(_ b: UInt8) -> Bool {
        b >= 0x20 ? b != 0x7F : b == htab
    }

    @inline(__always)
    static func isOWS(_ b: UInt8) -> Bool { b == sp || b == htab }

    /// The bytes an origin-form target may carry besides `%XX`: unreserved, sub-delims, `:@/?` (RFC 3986).
    @inline(__always)
    static func isTargetByte(_ b: UInt8) -> Bool {
        inSet(b, low: 0xAFFF_FFD2_0000_0000, high: 0x47FF_FFFE_87FF_FFFF)
    }

    /// The value of a hex digit, or nil.
    @inline(__always)
    static func hexValue(_ b: UInt8) -> UInt8? {
        switch b {
        case 0x30...0x39: b &- 0x30
        case 0x41...0x46: b &- 0x41 &+ 10
        case 0x61...0x66: b &- 0x61 &+ 10
        default: nil
        }
    }

    /// Whether `bytes[range]` equals `lowercase` (ASCII letters, digits and `-` only) ignoring case.
    /// Sound for token bytes: only an ASCII letter changes under `| 0x20` into a letter.
    @inline(__always)
    static func equalsIgnoringCase(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>, _ lowercase: StaticString) -> Bool {
        guard range.count == lowercase.utf8CodeUnitCount else { return false }
        let literal = lowercase.utf8Start
        var j = 0
        for i in range {
            let b = bytes[i]
            let l = literal[j]
            guard b == l || (b | 0x20 == l && l >= 0x61 && l <= 0x7A) else { return false }
            j += 1
        }
        return true
    }

    /// Whether `bytes[range]` is exactly `literal`.
    @inline(__always)
    static func equals(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>, _ literal: StaticString) -> Bool {
        guard range.count == literal.utf8CodeUnitCount else { return false }
        let start = literal.utf8Start
        for (j, i) in range.enumerated() where bytes[i] != start[j] { return false }
        return true
    }

    /// `range` without the SP/HTAB at either end.
    @inline(__always)
    static func trimmingOWS(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>) -> Range<Int> {
        var lower = range.lowerBound, upper = range.upperBound
        while lower < upper, isOWS(bytes[lower]) { lower += 1 }
        while upper > lower, isOWS(bytes[upper - 1]) { upper -= 1 }
        return lower..<upper
    }
}
