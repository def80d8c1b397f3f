import Foundation

/// Stored and sent times: RFC 3339, UTC, exactly three fractional digits (`2026-01-02T03:04:05.678Z`).
/// Fixed width, so text order is time order: the store sorts, pages and filters `since` on the
/// text. Used for jobs (nox-exec) and backups (nox-files).
public enum RFC3339 {
    /// `date` as stored and sent, rounded down to the millisecond.
    public static func string(_ date: Date) -> String {
        let milliseconds = Int64((date.timeIntervalSince1970 * 1000).rounded(.down))
        let (wholeSeconds, fraction) = milliseconds.quotientAndRemainder(dividingBy: 1000)
        // Dates before 1970 have a negative remainder: borrow a second.
        var seconds = time_t(fraction < 0 ? wholeSeconds - 1 : wholeSeconds)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        let day = "\(parts.tm_year + 1900)-\(pad(parts.tm_mon + 1))-\(pad(parts.tm_mday))"
        let millis = String(fraction < 0 ? fraction + 1000 : fraction)
        let time = "\(pad(parts.tm_hour)):\(pad(parts.tm_min)):\(pad(parts.tm_sec))"
        return "\(day)T\(time).\(String(repeating: "0", count: 3 - millis.count))\(millis)Z"
    }

    /// A client's RFC 3339 time (`?since=`): any offset, with or without fractional seconds.
    /// nil if `text` is not one.
    public static func date(_ text: String) -> Date? {
        // A formatter per call: ISO8601DateFormatter is not Sendable, and this is not hot.
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let date = formatter.date(from: text) { return date }
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.date(from: text)
    }

    private static func pad(_ value: Int32) -> String { value < 10 ? "0\(value)" : "\(value)" }
}
