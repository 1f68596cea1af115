/// The values one field of a cron expression matches, parsed from its text (`*/15`, `1-5`, `mon-fri`, `1,15`).
struct CronFieldSet: Hashable, Sendable {
    /// Bit `v` is set when the field matches value `v`. Day-of-week 7 is folded into 0 (Sunday).
    let bits: UInt64
    /// The text starts with `*`: Vixie cron's test for an unrestricted day field (see `CronExpression`).
    let isWildcard: Bool
    /// The matched values in ascending order.
    let values: [Int]

    func contains(_ value: Int) -> Bool {
        value >= 0 && value < 64 && bits & (1 << UInt64(value)) != 0
    }

    init(parsing text: Substring, as field: CronField) throws(CronError) {
        var bits: UInt64 = 0
        for item in text.split(separator: ",", omittingEmptySubsequences: false) {
            guard !item.isEmpty else { throw .emptyListItem(field) }
            let (range, step) = try Self.parseItem(item, as: field)
            for value in stride(from: range.lowerBound, through: range.upperBound, by: step) {
                bits |= 1 << UInt64(value)
            }
        }
        if field == .dayOfWeek, bits & (1 << 7) != 0 {
            bits = bits & ~(1 << 7) | 1
        }
        self.bits = bits
        self.isWildcard = text.hasPrefix("*")
        self.values = (0..<64).filter { bits & (1 << UInt64($0)) != 0 }
    }

    /// One list item: `*`, `v`, `a-b`, each optionally followed by `/step`; `v/step` runs to the field's maximum.
    private static func parseItem(_ item: Substring, as field: CronField) throws(CronError) -> (ClosedRange<Int>, Int) {
        let parts = item.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        let base = parts[0]
        var step = 1
        if parts.count == 2 {
            let stepText = parts[1]
            guard isDigits(stepText) else { throw .malformedStep(field, String(stepText)) }
            // Any step wider than the field behaves alike; capping keeps `stride` from overflowing.
            step = min(Int(stepText) ?? .max, 64)
            guard step > 0 else { throw .zeroStep(field) }
        }

        if base == "*" {
            return (field.bounds, step)
        }
        if base.contains("-") {
            let ends = base.split(separator: "-", omittingEmptySubsequences: false)
            guard ends.count == 2, !ends[0].isEmpty, !ends[1].isEmpty else {
                throw .malformedRange(field, String(base))
            }
            let low = try value(ends[0], as: field)
            var high = try value(ends[1], as: field)
            // `fri-sun`: a range ending on the name `sun` means Sunday at the end of the week (7).
            if field == .dayOfWeek, high == 0, low > 0, !isDigits(ends[1]) {
                high = 7
            }
            guard low <= high else { throw .reversedRange(field, String(base)) }
            return (low...high, step)
        }
        let start = try value(base, as: field)
        return (start...(parts.count == 2 ? field.bounds.upperBound : start), step)
    }

    private static func value(_ text: Substring, as field: CronField) throws(CronError) -> Int {
        if isDigits(text) {
            guard let number = Int(text), field.bounds.contains(number) else {
                throw .outOfRange(field, String(text))
            }
            return number
        }
        guard let named = field.value(named: String(text)) else {
            throw .notANumberOrName(field, String(text))
        }
        return named
    }

    private static func isDigits(_ text: Substring) -> Bool {
        !text.isEmpty && text.utf8.allSatisfy { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }
    }
}
