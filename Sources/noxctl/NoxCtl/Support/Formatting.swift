import Glibc

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// How numbers and times look in tables.
public enum Formatting {
    /// Bytes in binary units: `512 B`, `1.5 KiB`, `20.0 MiB`.
    public static func bytes(_ count: Int64) -> String {
        if count < 1024 { return "\(count) B" }
        let units = ["KiB", "MiB", "GiB", "TiB", "PiB"]
        var value = Double(count) / 1024
        var unit = 0
        while value >= 1024 && unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        return "\(Digits.fixed(value, 1)) \(units[unit])"
    }

    /// Milliseconds as `850 ms`, `1.25 s`, `2m05s`.
    public static func duration(milliseconds ms: Int64) -> String {
        if ms < 1000 { return "\(ms) ms" }
        if ms < 60_000 { return "\(Digits.fixed(Double(ms) / 1000, 2)) s" }
        let seconds = ms / 1000
        if seconds < 3600 { return "\(seconds / 60)m\(Digits.padded(Int(seconds % 60), 2))s" }
        return "\(seconds / 3600)h\(Digits.padded(Int((seconds % 3600) / 60), 2))m"
    }

    /// An RFC 3339 time shortened for a table: `2026-01-02T03:04:05.678Z` → `2026-01-02 03:04:05Z`.
    public static func time(_ rfc3339: String?) -> String {
        guard var text = rfc3339, text.count >= 19 else { return rfc3339 ?? "" }
        if let dot = text.firstIndex(of: "."), let end = text[dot...].firstIndex(where: { !$0.isNumber && $0 != "." }) {
            text.removeSubrange(dot..<end)
        }
        return text.replacing("T", with: " ")
    }

    /// `--since` for the API: an RFC 3339 time as is, or a relative age (`90s`, `15m`, `1h`,
    /// `2d`, `1w`) turned into the UTC time that long ago.
    public static func sinceTime(_ text: String, now: Date = Date()) throws -> String {
        if let seconds = relativeSeconds(text) {
            return rfc3339(now.addingTimeInterval(-seconds))
        }
        if text.count >= 10, text.first?.isNumber == true, text.contains("-") { return text }
        throw NoxCtlError("\"\(text)\" is neither a time (2026-01-02T03:04:05Z) nor an age (30m, 1h, 2d)")
    }

    /// Seconds in `90s`, `15m`, `1h`, `2d`, `1w` (nil if not of that shape).
    public static func relativeSeconds(_ text: String) -> Double? {
        guard let unit = text.last, let value = Double(text.dropLast()), value >= 0 else { return nil }
        switch unit {
        case "s": return value
        case "m": return value * 60
        case "h": return value * 3600
        case "d": return value * 86400
        case "w": return value * 604_800
        default: return nil
        }
    }

    /// A date as RFC 3339 UTC with seconds.
    public static func rfc3339(_ date: Date) -> String {
        var time = time_t(date.timeIntervalSince1970)
        var parts = tm()
        gmtime_r(&time, &parts)
        let date = [Digits.padded(Int(parts.tm_year) + 1900, 4), Digits.padded(Int(parts.tm_mon) + 1, 2), Digits.padded(Int(parts.tm_mday), 2)]
        let clock = [parts.tm_hour, parts.tm_min, parts.tm_sec].map { Digits.padded(Int($0), 2) }
        return date.joined(separator: "-") + "T" + clock.joined(separator: ":") + "Z"
    }
}
