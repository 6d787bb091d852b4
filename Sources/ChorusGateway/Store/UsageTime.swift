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
        return UTCDay.parse(text)
    }
}
