import Foundation
import NIOConcurrencyHelpers
import NIOPosix
import NoxFiles

/// Holds a run to its user's `disk_mb` quota while it runs.
///
/// No file system Nox can count on has per-directory quotas (ext4/XFS project quotas need mount
/// options and tools a Debian host does not have by default), and `LimitFSIZE=` bounds only one
/// file. So the sandbox is measured while the run goes on — the same walk nox-files measures
/// quotas with — and the run is stopped once it has grown the sandbox past the quota (or, if the
/// sandbox was already over it, past its size at the start). A walk's cost sets the pace: every
/// second, or ten times as long as the last walk took, so a huge sandbox is not walked
/// continuously. What a run can still write between two walks is bounded by `LimitFSIZE=` per file.
final class DiskWatch: Sendable {
    private let exceeded = NIOLockedValueBox(false)
    private let task: NIOLockedValueBox<Task<Void, Never>?> = .init(nil)

    /// The run grew the sandbox past what it may use, and was stopped for it.
    var hasExceeded: Bool { exceeded.withLockedValue { $0 } }

    /// Starts watching `sandbox`; `stop` is called once when the run is over its allowance.
    func start(sandbox: String, quotaBytes: Int64, stop: @escaping @Sendable () async -> Void) {
        let watch = Task { [exceeded] in
            guard let allowed = await Self.measure(sandbox).map({ max($0, quotaBytes) }) else { return }
            var pause = Duration.seconds(1)
            while !Task.isCancelled {
                try? await Task.sleep(for: pause)
                if Task.isCancelled { return }
                let began = ContinuousClock.now
                guard let bytes = await Self.measure(sandbox) else { return }
                if bytes > allowed {
                    exceeded.withLockedValue { $0 = true }
                    await stop()
                    return
                }
                pause = max(.seconds(1), (ContinuousClock.now - began) * 10)
            }
        }
        task.withLockedValue { $0 = watch }
    }

    /// The run is over: no more walks.
    func finish() {
        task.withLockedValue { $0?.cancel() }
    }

    private static func measure(_ sandbox: String) async -> Int64? {
        try? await NIOThreadPool.singleton.runIfActive { try SandboxDirectory(path: sandbox).usage().bytes }
    }
}
