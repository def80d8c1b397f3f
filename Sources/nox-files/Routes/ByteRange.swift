import Foundation

/// A `Range: bytes=…` request header resolved against a file's size (RFC 9110 §14.1.2).
///
/// One range only: a multi-range request is answered with the whole file (200), which the RFC
/// allows, rather than with `multipart/byteranges`, which no Nox client needs.
enum ByteRange: Equatable {
    /// No usable Range header: send everything.
    case whole
    /// Send bytes `lowerBound..<upperBound` (206).
    case partial(Range<Int64>)
    /// Syntactically a single range, but nothing of it is in the file (416).
    case unsatisfiable

    static func parse(_ header: String?, size: Int64) -> ByteRange {
        guard let header, header.hasPrefix("bytes=") else { return .whole }
        let spec = header.dropFirst("bytes=".count).trimmingCharacters(in: .whitespaces)
        guard !spec.contains(","), let dash = spec.firstIndex(of: "-") else { return .whole }
        let first = spec[..<dash], last = spec[spec.index(after: dash)...]
        if first.isEmpty {
            // `-N`: the last N bytes.
            guard let suffix = Int64(last), suffix >= 0 else { return .whole }
            guard suffix > 0, size > 0 else { return .unsatisfiable }
            return .partial(max(0, size - suffix)..<size)
        }
        guard let start = Int64(first), start >= 0 else { return .whole }
        var end = size - 1
        if !last.isEmpty {
            guard let value = Int64(last), value >= start else { return .whole }
            end = min(value, size - 1)
        }
        guard start < size else { return .unsatisfiable }
        return .partial(start..<(end + 1))
    }
}
