/// Finding a toolchain's version in what its `version` command printed.
public enum LanguageVersion {
    /// The first `\d+(\.\d+)+` in `output` (ASCII digits only), or nil.
    ///
    /// `Python 3.11.2` → `3.11.2`, `v20.20.2` → `20.20.2`, `openjdk version "17.0.15" 2025-04-15` → `17.0.15`,
    /// `0.5.12-2` → `0.5.12`; a lone number (`perl 5, version 36`) is passed over.
    public static func find(in output: String) -> String? {
        let bytes = Array(output.utf8)
        func isDigit(_ index: Int) -> Bool { index < bytes.count && (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index]) }
        func digitsEnd(from index: Int) -> Int {
            var end = index
            while isDigit(end) { end += 1 }
            return end
        }
        var start = 0
        while start < bytes.count {
            guard isDigit(start) else {
                start += 1
                continue
            }
            var end = digitsEnd(from: start)
            var groups = 0
            while end < bytes.count, bytes[end] == UInt8(ascii: "."), isDigit(end + 1) {
                end = digitsEnd(from: end + 1)
                groups += 1
            }
            if groups > 0 { return String(decoding: bytes[start..<end], as: UTF8.self) }
            start = end
        }
        return nil
    }
}
