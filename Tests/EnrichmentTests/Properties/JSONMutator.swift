import SeededRandom
import Foundation

/// A JSON document as a tree whose numbers keep their literal text, so a mutation can write what no
/// encoder would (`1e400`, a 40-digit integer, `NaN`).
indirect enum JSONValue: Decodable, Sendable {
    case null
    case bool(Bool)
    case number(String)
    case string(String)
    case array([JSONValue])
    case object([(key: String, value: JSONValue)])

    private struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    init(from decoder: any Decoder) throws {
        if let object = try? decoder.container(keyedBy: Key.self) {
            self = .object(try object.allKeys.sorted { $0.stringValue < $1.stringValue }.map { ($0.stringValue, try object.decode(JSONValue.self, forKey: $0)) })
            return
        }
        if var array = try? decoder.unkeyedContainer() {
            var items: [JSONValue] = []
            while !array.isAtEnd { items.append(try array.decode(JSONValue.self)) }
            self = .array(items)
            return
        }
        let value = try decoder.singleValueContainer()
        if value.decodeNil() {
            self = .null
        } else if let bool = try? value.decode(Bool.self) {
            self = .bool(bool)
        } else if let integer = try? value.decode(Int.self) {
            self = .number(String(integer))
        } else if let double = try? value.decode(Double.self) {
            self = .number(String(double))
        } else {
            self = .string(try value.decode(String.self))
        }
    }

    static func parse(_ text: String) throws -> JSONValue {
        try JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))
    }

    var text: String {
        switch self {
        case .null: "null"
        case .bool(let bool): bool ? "true" : "false"
        case .number(let literal): literal
        case .string(let string): Self.quote(string)
        case .array(let items): "[" + items.map(\.text).joined(separator: ",") + "]"
        case .object(let members): "{" + members.map { Self.quote($0.key) + ":" + $0.value.text }.joined(separator: ",") + "}"
        }
    }

    private static func quote(_ string: String) -> String {
        var out = "\""
        for scalar in string.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case _ where scalar.value < 0x20: out += String(format: "\\u%04x", scalar.value)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }

    /// Nodes in the tree, itself included.
    var size: Int {
        switch self {
        case .array(let items): 1 + items.reduce(0) { $0 + $1.size }
        case .object(let members): 1 + members.reduce(0) { $0 + $1.value.size }
        default: 1
        }
    }

    var isNumber: Bool { if case .number = self { true } else { false } }

    /// Numbered in pre-order, the nodes `matching` holds for.
    func count(where matching: (JSONValue) -> Bool) -> Int {
        let own = matching(self) ? 1 : 0
        switch self {
        case .array(let items): return own + items.reduce(0) { $0 + $1.count(where: matching) }
        case .object(let members): return own + members.reduce(0) { $0 + $1.value.count(where: matching) }
        default: return own
        }
    }

    /// The tree with the `target`-th node `matching` holds for (pre-order) replaced by `change` of it.
    func replacing(_ target: Int, where matching: (JSONValue) -> Bool, with change: (JSONValue) -> JSONValue) -> JSONValue {
        var index = 0
        return replacing(target, &index, matching, change)
    }

    private func replacing(_ target: Int, _ index: inout Int, _ matching: (JSONValue) -> Bool, _ change: (JSONValue) -> JSONValue) -> JSONValue {
        if matching(self) {
            if index == target {
                index += 1
                return change(self)
            }
            index += 1
        }
        switch self {
        case .array(let items):
            var changed: [JSONValue] = []
            for item in items { changed.append(item.replacing(target, &index, matching, change)) }
            return .array(changed)
        case .object(let members):
            var changed: [(key: String, value: JSONValue)] = []
            for member in members { changed.append((member.key, member.value.replacing(target, &index, matching, change))) }
            return .object(changed)
        default:
            return self
        }
    }
}

/// What a hostile or broken provider might send instead of a sane value.
enum Extremes {
    /// Number literals: out of every integer type, non-finite once parsed, negative, fractional, or
    /// no JSON at all (`NaN`, `Infinity`).
    static let numbers = [
        "1e400", "-1e400", "1e308", "-1e308", "99999999999999999999", "-99999999999999999999",
        "1234567890123456789012345678901234567890", "9223372036854775807", "9223372036854775808", "-9223372036854775809",
        "18446744073709551616", "4294967296", "2147483648", "-1", "0", "-0", "0.5", "1.5e-300", "1e-400", "3.999999999999999999",
        "NaN", "Infinity", "-Infinity",
    ]

    /// Strings, including the ones some parser might read as numbers.
    static let strings = [
        "", " ", "NaN", "nan", "inf", "-inf", "Infinity", "1e400", "-1", "99999999999999999999", "0x10", "١٢٣",
        "//", "http://", "https://", "javascript:alert(1)", "\u{0}", "\u{FEFF}", "😀", "t_thumb", "/t_thumb/",
        String(repeating: "9", count: 400), String(repeating: "a", count: 2000), "Thé Mätrix (Blu-ray) [4K] - by Someone",
    ]

    /// Header values for Retry-After, X-RateLimit-*, Content-Length and the like.
    static func headerValue(now: Date, using generator: inout SplitMix64) -> String {
        switch Int.random(in: 0..<6, using: &generator) {
        case 0: return generator.pick(numbers)
        case 1: return generator.pick(strings)
        case 2:
            // An epoch near now, or far from it, possibly fractional.
            let offset = generator.pick([-1e12, -86_400, -30, -1, 0, 0.5, 1, 30, 3600, 86_400, 86_401, 1e9, 1e12, 1e300])
            return String(now.timeIntervalSince1970 + offset)
        case 3:
            // An HTTP date, valid or nearly.
            let day = generator.pick(["01", "31", "00", "32", "1", "99"])
            let month = generator.pick(["Jan", "Dec", "Feb", "Xyz", "jan"])
            let year = generator.pick(["0000", "0001", "1970", "2024", "2999", "9999", "99999", "-001"])
            let time = generator.pick(["00:00:00", "23:59:60", "24:00:00", "12:60:00", "1:2:3", "99:99:99"])
            return "\(generator.pick(["Sun,", "Mon,", "Sun"])) \(day) \(month) \(year) \(time) \(generator.pick(["GMT", "UTC", "gmt"]))"
        case 4:
            // Digits, any number of them, maybe signed or padded.
            let digits = String((0..<Int.random(in: 0...60, using: &generator)).map { _ in Character(String(Int.random(in: 0...9, using: &generator))) })
            return generator.pick(["", "-", "+", " ", "0"]) + digits + generator.pick(["", " ", ".5", "e3", "e999"])
        default:
            // Printable noise.
            let length = Int.random(in: 0...40, using: &generator)
            return String((0..<length).map { _ in Character(Unicode.Scalar(UInt8.random(in: 0x20...0x7E, using: &generator))) })
        }
    }
}

enum JSONMutator {
    /// `text` (a fixture) changed 1 to 4 times: numbers replaced by extremes, values by the wrong type,
    /// keys dropped, arrays emptied or repeated, or the text itself cut or corrupted.
    static func mutate(_ text: String, using generator: inout SplitMix64) -> String {
        guard var tree = try? JSONValue.parse(text) else { return text }
        for _ in 0..<Int.random(in: 1...4, using: &generator) {
            let numbers = tree.count(where: \.isNumber)
            if numbers > 0, generator.chance(0.5) {
                let target = Int.random(in: 0..<numbers, using: &generator)
                let literal = generator.pick(Extremes.numbers)
                tree = tree.replacing(target, where: \.isNumber) { _ in .number(literal) }
            } else {
                let target = Int.random(in: 0..<tree.size, using: &generator)
                let replacement = change(using: &generator)
                tree = tree.replacing(target, where: { _ in true }, with: replacement)
            }
        }
        var out = tree.text
        if generator.chance(0.1) {
            // Cut short, or a byte changed: no longer JSON, or JSON of another shape.
            let bytes = Array(out.utf8)
            if generator.chance(0.5) {
                out = String(decoding: bytes.prefix(Int.random(in: 0...bytes.count, using: &generator)), as: UTF8.self)
            } else if !bytes.isEmpty {
                var changed = bytes
                changed[Int.random(in: 0..<bytes.count, using: &generator)] = UInt8.random(in: 0...255, using: &generator)
                out = String(decoding: changed, as: UTF8.self)
            }
        }
        return out
    }

    /// One change to a node.
    private static func change(using generator: inout SplitMix64) -> (JSONValue) -> JSONValue {
        let number = JSONValue.number(generator.pick(Extremes.numbers))
        let string = JSONValue.string(generator.pick(Extremes.strings))
        let wrongType = generator.pick([JSONValue.null, .bool(true), .array([]), .object([]), number, string, .array([number, string])])
        let choice = Int.random(in: 0..<4, using: &generator)
        let drop = Int.random(in: 0..<1000, using: &generator)
        return { node in
            switch (choice, node) {
            case (0, .object(let members)) where !members.isEmpty:
                var kept = members
                kept.remove(at: drop % members.count)
                return .object(kept)
            case (1, .array(let items)):
                return reshaped(items, drop)
            case (2, .string):
                return string
            default:
                return wrongType
            }
        }
    }

    /// An array emptied, or its first item repeated many times.
    private static func reshaped(_ items: [JSONValue], _ roll: Int) -> JSONValue {
        roll.isMultiple(of: 2) || items.isEmpty ? .array([]) : .array(Array(repeating: items[0], count: 1 + roll % 50))
    }
}
