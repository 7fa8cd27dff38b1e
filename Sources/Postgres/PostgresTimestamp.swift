import Foundation

/// Converts between `Date` and PostgreSQL's ISO timestamp text (`2024-05-01 12:30:00.123456+00`).
///
/// Pure calendar arithmetic in UTC (Howard Hinnant's civil-date algorithms): no Calendar, DateFormatter
/// or locale involved, so it is fast, thread-safe and exact to the microsecond PostgreSQL stores.
enum PostgresTimestamp {
    private static let microsecondsPerDay: Int64 = 86_400_000_000

    /// `Date` → text for a `timestamptz` parameter, rounded to whole microseconds.
    static func text(for date: Date) -> String {
        let scaled = (date.timeIntervalSince1970 * 1_000_000).rounded()
        guard scaled.magnitude < 9.0e18 else { return scaled < 0 ? "-infinity" : "infinity" }
        let microseconds = Int64(scaled)
        let days = floorDivide(microseconds, microsecondsPerDay)
        let timeOfDay = microseconds - days * microsecondsPerDay
        let (year, month, day) = civil(fromDays: days)
        let seconds = timeOfDay / 1_000_000
        let fields = [
            pad(year > 0 ? year : 1 - year, 4), "-", pad(month, 2), "-", pad(day, 2), " ",
            pad(seconds / 3600, 2), ":", pad(seconds / 60 % 60, 2), ":", pad(seconds % 60, 2), ".",
            pad(timeOfDay % 1_000_000, 6), "+00", year > 0 ? "" : " BC",
        ]
        return fields.joined()
    }

    /// Text of a `timestamptz`, `timestamp` (read as UTC) or `date` column → `Date`.
    static func date(from text: String) -> Date? {
        switch text {
        case "infinity": return .distantFuture
        case "-infinity": return .distantPast
        default: break
        }
        var scanner = Scanner(bytes: Array(text.utf8))
        guard var year = scanner.number(), scanner.skip("-"), let month = scanner.number(digits: 2),
              scanner.skip("-"), let day = scanner.number(digits: 2), (1...12).contains(month), (1...31).contains(day)
        else { return nil }
        var timeOfDay: Int64 = 0
        var offsetSeconds: Int64 = 0
        if scanner.skip(" ") || scanner.skip("T"), let hour = scanner.number(digits: 2) {
            guard scanner.skip(":"), let minute = scanner.number(digits: 2), scanner.skip(":"),
                  let second = scanner.number(digits: 2) else { return nil }
            timeOfDay = ((hour * 60 + minute) * 60 + second) * 1_000_000
            if scanner.skip(".") {
                guard let (fraction, digits) = scanner.fraction() else { return nil }
                timeOfDay += fraction * power(10, 6 - digits)
            }
            if let sign = scanner.sign() {
                guard let hours = scanner.number(digits: 2) else { return nil }
                var offset = hours * 3600
                if scanner.skip(":"), let minutes = scanner.number(digits: 2) { offset += minutes * 60 }
                if scanner.skip(":"), let seconds = scanner.number(digits: 2) { offset += seconds }
                offsetSeconds = sign * offset
            }
        }
        if scanner.skip(" BC") { year = 1 - year }
        guard scanner.isAtEnd else { return nil }
        let microseconds = days(fromYear: year, month: month, day: day) * microsecondsPerDay
            + timeOfDay - offsetSeconds * 1_000_000
        return Date(timeIntervalSince1970: Double(microseconds) / 1_000_000)
    }

    // MARK: Calendar arithmetic (proleptic Gregorian, astronomical year numbering)

    private static func days(fromYear year: Int64, month: Int64, day: Int64) -> Int64 {
        let shiftedYear = month <= 2 ? year - 1 : year
        let era = floorDivide(shiftedYear, 400)
        let yearOfEra = shiftedYear - era * 400
        let dayOfYear = (153 * ((month + 9) % 12) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    private static func civil(fromDays days: Int64) -> (year: Int64, month: Int64, day: Int64) {
        let shifted = days + 719_468
        let era = floorDivide(shifted, 146_097)
        let dayOfEra = shifted - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let shiftedMonth = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * shiftedMonth + 2) / 5 + 1
        let month = shiftedMonth < 10 ? shiftedMonth + 3 : shiftedMonth - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    private static func floorDivide(_ value: Int64, _ divisor: Int64) -> Int64 {
        let quotient = value / divisor
        return (value % divisor != 0 && (value < 0) != (divisor < 0)) ? quotient - 1 : quotient
    }

    private static func power(_ base: Int64, _ exponent: Int) -> Int64 {
        (0..<max(0, exponent)).reduce(1) { result, _ in result * base }
    }

    private static func pad(_ value: Int64, _ width: Int) -> String {
        let digits = String(value)
        return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
    }

    /// A cursor over ASCII bytes.
    private struct Scanner {
        let bytes: [UInt8]
        var position = 0

        init(bytes: [UInt8]) { self.bytes = bytes }

        var isAtEnd: Bool { position == bytes.count }

        mutating func skip(_ literal: String) -> Bool {
            let expected = Array(literal.utf8)
            guard bytes.count - position >= expected.count,
                  Array(bytes[position..<position + expected.count]) == expected else { return false }
            position += expected.count
            return true
        }

        /// An unsigned decimal number: exactly `digits` digits, or 1 to 9 when `digits` is nil.
        mutating func number(digits: Int? = nil) -> Int64? {
            let start = position
            var value: Int64 = 0
            while position < bytes.count, position - start < (digits ?? 9),
                  (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[position]) {
                value = value * 10 + Int64(bytes[position] - UInt8(ascii: "0"))
                position += 1
            }
            let count = position - start
            guard count > 0, digits == nil || count == digits else { position = start; return nil }
            return value
        }

        /// Up to six fractional digits (extra digits are truncated) and how many were kept.
        mutating func fraction() -> (Int64, Int)? {
            let start = position
            guard let value = number() else { return nil }
            let count = position - start
            return count <= 6 ? (value, count) : (value / power(10, count - 6), 6)
        }

        mutating func sign() -> Int64? {
            if skip("+") { return 1 }
            if skip("-") { return -1 }
            return nil
        }
    }
}
