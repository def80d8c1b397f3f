import Foundation
import Testing

/// Files of the repository the tests read.
enum TestPaths {
    static let testsDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    static let pythonDirectory = testsDirectory.appendingPathComponent("python")
    static let testInterfaceFile = pythonDirectory.appendingPathComponent("io.nox.Test.varlink")
    static let interfacesDirectory =
        testsDirectory
        .deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Sources/NoxIPC/Interfaces")

    static func read(_ url: URL) throws -> String {
        try String(contentsOf: url, encoding: .utf8)
    }
}

/// A fresh directory under /tmp (short, for socket paths), removed when the body ends.
func withTemporaryDirectory<T>(_ body: (String) async throws -> T) async throws -> T {
    let path = NSTemporaryDirectory() + "noxipc-" + UUID().uuidString.prefix(8)
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: path) }
    return try await body(path)
}

/// Thrown by ``withTimeout(_:_:)``.
struct TestTimeout: Error, CustomStringConvertible {
    var duration: Duration
    var description: String { "timed out after \(duration)" }
}

/// Runs `body`, failing with ``TestTimeout`` if it takes longer than `duration`.
func withTimeout<T: Sendable>(_ duration: Duration = .seconds(10), _ body: @escaping @Sendable () async throws -> T) async throws -> T {
    try await withThrowingTaskGroup(of: T?.self) { group in
        group.addTask { try await body() }
        group.addTask {
            try await Task.sleep(for: duration)
            return nil
        }
        defer { group.cancelAll() }
        guard case .some(.some(let value)) = try await group.next() else { throw TestTimeout(duration: duration) }
        return value
    }
}

/// Waits until `condition` holds, checking every 20 ms; records a failure after `timeout`.
func eventually(
    _ timeout: Duration = .seconds(5),
    sourceLocation: SourceLocation = #_sourceLocation,
    _ condition: () -> Bool
) async throws {
    let deadline = ContinuousClock.now + timeout
    while !condition() {
        guard ContinuousClock.now < deadline else {
            Issue.record("condition not met within \(timeout)", sourceLocation: sourceLocation)
            return
        }
        try await Task.sleep(for: .milliseconds(20))
    }
}
