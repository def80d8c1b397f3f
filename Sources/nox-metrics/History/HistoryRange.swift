public import NoxRuntime

/// The `range=` of `GET /api/system/metrics/history`: a positive number and a unit, `s`, `m`,
/// `h` or `d` (`90s`, `15m`, `1h`, `7d`), at most the retention.
public enum HistoryRange {
    public static let defaultRange: Int64 = 3600

    /// Seconds, or `APIError.validation(field: "range")`.
    public static func parse(_ text: String?, maximumDays: Int) throws -> Int64 {
        guard let text, !text.isEmpty else { return defaultRange }
        let invalid = APIError.validation(
            field: "range", "range must be a positive number with a unit s, m, h or d (such as 15m, 1h, 7d), at most \(maximumDays)d.")
        guard text.count <= 12, let unit = text.last, let number = Int64(text.dropLast()), number > 0 else { throw invalid }
        let multiplier: Int64
        switch unit {
        case "s": multiplier = 1
        case "m": multiplier = 60
        case "h": multiplier = 3600
        case "d": multiplier = 86_400
        default: throw invalid
        }
        let (seconds, overflow) = number.multipliedReportingOverflow(by: multiplier)
        guard !overflow, seconds <= Int64(maximumDays) * 86_400 else { throw invalid }
        return seconds
    }
}
