import Foundation
import Testing
@testable import Scheduling

@Suite("Cron expression parsing")
struct CronParsingTests {
    static func values(of field: CronField, in text: String) throws -> [Int] {
        var fields = ["*", "*", "*", "*", "*"]
        fields[CronField.allCases.firstIndex(of: field)!] = text
        let expression = try CronExpression(fields.joined(separator: " "))
        return switch field {
        case .minute: expression.minutes.values
        case .hour: expression.hours.values
        case .dayOfMonth: expression.daysOfMonth.values
        case .month: expression.months.values
        case .dayOfWeek: expression.daysOfWeek.values
        }
    }

    @Test("field forms", arguments: [
        (CronField.minute, "*", Array(0...59)),
        (.minute, "5", [5]),
        (.minute, "1,5,9", [1, 5, 9]),
        (.minute, "1-5", [1, 2, 3, 4, 5]),
        (.minute, "*/15", [0, 15, 30, 45]),
        (.minute, "10-50/10", [10, 20, 30, 40, 50]),
        (.minute, "5/10", [5, 15, 25, 35, 45, 55]),
        (.minute, "1-3,50-52,7", [1, 2, 3, 7, 50, 51, 52]),
        (.minute, "*/100", [0]),
        (.minute, "00", [0]),
        (.hour, "*/6", [0, 6, 12, 18]),
        (.hour, "9-17/4", [9, 13, 17]),
        (.hour, "23", [23]),
        (.dayOfMonth, "*/10", [1, 11, 21, 31]),
        (.dayOfMonth, "1,15,31", [1, 15, 31]),
        (.dayOfMonth, "28-31", [28, 29, 30, 31]),
        (.month, "*", Array(1...12)),
        (.month, "*/2", [1, 3, 5, 7, 9, 11]),
        (.month, "6", [6]),
    ] as [(CronField, String, [Int])])
    func fieldForms(field: CronField, text: String, expected: [Int]) throws {
        #expect(try Self.values(of: field, in: text) == expected)
    }

    @Test("month and weekday names, case-insensitive, in lists, ranges and steps", arguments: [
        (CronField.month, "jan", [1]),
        (.month, "DEC", [12]),
        (.month, "Jun,dec", [6, 12]),
        (.month, "JAN-mar", [1, 2, 3]),
        (.month, "jan-dec/3", [1, 4, 7, 10]),
        (.month, "feb/4", [2, 6, 10]),
        (.dayOfWeek, "sun", [0]),
        (.dayOfWeek, "mon-fri", [1, 2, 3, 4, 5]),
        (.dayOfWeek, "MON-Fri/2", [1, 3, 5]),
        (.dayOfWeek, "SAT,sun", [0, 6]),
        (.dayOfWeek, "fri-sun", [0, 5, 6]),
        (.dayOfWeek, "tue,4", [2, 4]),
    ] as [(CronField, String, [Int])])
    func names(field: CronField, text: String, expected: [Int]) throws {
        #expect(try Self.values(of: field, in: text) == expected)
    }

    @Test("weekday 7 is Sunday, like 0", arguments: [
        ("7", [0]),
        ("0,7", [0]),
        ("5-7", [0, 5, 6]),
        ("1-7", [0, 1, 2, 3, 4, 5, 6]),
        ("*", [0, 1, 2, 3, 4, 5, 6]),
        ("*/2", [0, 2, 4, 6]),
        ("1/2", [0, 1, 3, 5]),  // 1,3,5,7 as in Vixie cron, whose `*` and `n/step` run to 7
    ] as [(String, [Int])])
    func weekdaySeven(text: String, expected: [Int]) throws {
        #expect(try Self.values(of: .dayOfWeek, in: text) == expected)
    }

    @Test("a day field is unrestricted when it starts with *", arguments: [
        ("*", true), ("*/2", true), ("1-31", false), ("1", false),
    ])
    func wildcard(text: String, expected: Bool) throws {
        #expect(try CronExpression("0 0 \(text) * *").daysOfMonth.isWildcard == expected)
        #expect(try CronExpression("0 0 * * \(text == "1-31" ? "0-7" : text)").daysOfWeek.isWildcard == expected)
    }

    @Test("fields are separated by any whitespace")
    func whitespace() throws {
        let expression = try CronExpression("  0\t2   *  * *\n")
        #expect(expression.description == "0 2 * * *")
        #expect(expression == (try CronExpression("0 2 * * *")))
    }

    @Test("bad input is refused with the field and the problem", arguments: [
        ("", "expected 5 fields, got 0"),
        ("* * * *", "expected 5 fields, got 4"),
        ("* * * * * *", "expected 5 fields, got 6"),
        ("60 * * * *", "minute: 60 is outside 0-59"),
        ("0 25 * * *", "hour: 25 is outside 0-23"),
        ("0 0 0 * *", "day-of-month: 0 is outside 1-31"),
        ("0 0 32 * *", "day-of-month: 32 is outside 1-31"),
        ("0 0 * 13 *", "month: 13 is outside 1-12"),
        ("0 0 * * 8", "day-of-week: 8 is outside 0-7"),
        ("0 0 * * 1-8", "day-of-week: 8 is outside 0-7"),
        ("99999999999999999999 * * * *", "minute: 99999999999999999999 is outside 0-59"),
        ("0 0 * * funday", "day-of-week: 'funday' is not a number or name"),
        ("0 0 * * monday", "day-of-week: 'monday' is not a number or name"),
        ("jan * * * *", "minute: 'jan' is not a number or name"),
        ("0 0 * mon *", "month: 'mon' is not a number or name"),
        ("? * * * *", "minute: '?' is not a number or name"),
        ("*/0 * * * *", "minute: step 0"),
        ("0 1-5/0 * * *", "hour: step 0"),
        ("*/x * * * *", "minute: step 'x' is not a number"),
        ("*/ * * * *", "minute: step '' is not a number"),
        ("1/2/3 * * * *", "minute: step '2/3' is not a number"),
        ("1,,2 * * * *", "minute: empty item in list"),
        ("0 0 1, * *", "day-of-month: empty item in list"),
        ("0 5-2 * * *", "hour: range 5-2 starts after it ends"),
        ("0 0 * * fri-mon", "day-of-week: range fri-mon starts after it ends"),
        ("1-2-3 * * * *", "minute: '1-2-3' is not a range (expected low-high)"),
        ("-5 * * * *", "minute: '-5' is not a range (expected low-high)"),
        ("0 0 * jan- *", "month: 'jan-' is not a range (expected low-high)"),
    ])
    func errors(text: String, message: String) {
        #expect {
            try CronExpression(text)
        } throws: { error in
            (error as? CronError)?.description == message
        }
    }

    @Test("errors are typed and comparable")
    func typedErrors() {
        #expect(throws: CronError.outOfRange(.hour, "25")) { try CronExpression("0 25 * * *") }
        #expect(throws: CronError.wrongFieldCount(6)) { try CronExpression("0 0 * * * *") }
    }
}
