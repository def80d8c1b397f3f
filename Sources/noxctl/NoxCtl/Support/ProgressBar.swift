import Glibc

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// A one-line progress bar on stderr, redrawn at most ten times a second:
/// `name  [#########.........]  45%  1.2 MiB / 2.6 MiB  3.4 MiB/s`. Silent when off (not a
/// terminal), so callers need no branches.
public final class ProgressBar {
    private let label: String
    private let enabled: Bool
    private let started = Date()
    private var lastDraw = Date.distantPast
    private var drawn = false

    public init(label: String, enabled: Bool) {
        self.label = label
        self.enabled = enabled
    }

    /// `done` of `total` bytes (total 0: unknown).
    public func update(_ done: Int64, of total: Int64) {
        guard enabled else { return }
        let now = Date()
        if now.timeIntervalSince(lastDraw) < 0.1 && !(total > 0 && done >= total) { return }
        lastDraw = now
        Console.writeAll(2, Array(("\r\u{1B}[K" + Self.line(label: label, done: done, total: total, elapsed: now.timeIntervalSince(started))).utf8))
        drawn = true
    }

    /// Clears the bar (the command prints its own result line after it).
    public func finish() {
        guard enabled, drawn else { return }
        Console.writeAll(2, Array("\r\u{1B}[K".utf8))
        drawn = false
    }

    /// The text of the bar for these numbers (no escapes).
    public static func line(label: String, done: Int64, total: Int64, elapsed: Double, width: Int = 24) -> String {
        let rate = elapsed > 0.2 ? "  \(Formatting.bytes(Int64(Double(done) / elapsed)))/s" : ""
        guard total > 0 else { return "\(label)  \(Formatting.bytes(done))\(rate)" }
        let fraction = min(1, max(0, Double(done) / Double(total)))
        let filled = Int(fraction * Double(width))
        let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
        return
            "\(label)  [\(bar)] \(String(repeating: " ", count: 3 - String(Int(fraction * 100)).count))\(Int(fraction * 100))%  \(Formatting.bytes(done)) / \(Formatting.bytes(total))\(rate)"
    }
}
