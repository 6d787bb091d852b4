import Foundation

/// The times a caller writes for a usage window (`since`, `until`, `--since`): Unix seconds or a UTC date.
public enum UsageTime {
    /// `1767225600`, `1767225600.5` or `2026-01-01` (midnight UTC); nil for anything else.
    public static func parse(_ text: String) -> Date? {
        // Plain decimals only: Double(_:) would also take "inf", "1e9" and hex.
        if !text.contains("-") || text.hasPrefix("-"), text.allSatisfy({ "0123456789.-".contains($0) }),
           let seconds = Double(text), seconds.isFinite {
            // Past year 9999 no date means anything, and the database's date functions stop there.
            guard abs(seconds) < 253_402_300_800 else { return nil }
            return Date(timeIntervalSince1970: seconds)
        }
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
              parts.allSatisfy({ $0.allSatisfy(\.isASCII) && $0.allSatisfy(\.isNumber) }),
              let year = Int(parts[0]), let month = Int(parts[1]), let day = Int(parts[2]) else { return nil }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC") ?? calendar.timeZone
        let components = DateComponents(year: year, month: month, day: day)
        // Refuse what the calendar would roll over (2026-02-30 is not March 2nd).
        guard components.isValidDate(in: calendar), let date = calendar.date(from: components) else { return nil }
        return date
    }
}
