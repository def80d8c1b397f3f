import Foundation
import Glibc

/// IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`, RFC 9110 §5.6.7) for `Last-Modified`.
/// strftime in the C locale: the format must not follow the server's locale.
enum HTTPDate {
    static func format(_ date: Date) -> String {
        var seconds = time_t(date.timeIntervalSince1970.rounded(.down))
        var parts = tm()
        gmtime_r(&seconds, &parts)
        var buffer = [CChar](repeating: 0, count: 64)
        let count = strftime_l(&buffer, buffer.count, "%a, %d %b %Y %H:%M:%S GMT", &parts, cLocale)
        return String(decoding: buffer.prefix(count).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    nonisolated(unsafe) private static let cLocale = newlocale(0x1fbf /* LC_ALL_MASK */, "C", nil)
}
