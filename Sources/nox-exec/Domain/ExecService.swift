import Foundation
import Glibc
import HTTPTypes
import Logging
import NIOConcurrencyHelpers
import NIOPosix
import NoxFiles
import NoxRuntime

/// nox-exec's domain: accepts runs, queues them, runs each as a transient unit, records them.
public final class ExecService: Sendable {
    let store: JobStore
    let queue: JobQueue
    let outputs: RunOutputs
    let languages: LanguageCatalog
    let runner: UnitRunner
    let slices: UserSlices
    let sandboxes: SandboxLocator
    /// `/var/lib/nox/exec/runs`: each run's submitted code, bound read-only into it.
    let runsDirectory: String
    let configuration: NoxConfiguration.ExecConfiguration
    let logger: Logger
    /// Runs in progress: what cancelling one needs, and what a waiting request awaits.
    private let active = NIOLockedValueBox<[String: ActiveRun]>([:])

    init(
        store: JobStore, queue: JobQueue, outputs: RunOutputs, languages: LanguageCatalog, runner: UnitRunner, slices: UserSlices,
        sandboxes: SandboxLocator, runsDirectory: String, configuration: NoxConfiguration.ExecConfiguration, logger: Logger
    ) {
        self.store = store
        self.queue = queue
        self.outputs = outputs
        self.languages = languages
        self.runner = runner
        self.slices = slices
        self.sandboxes = sandboxes
        self.runsDirectory = runsDirectory
        self.configuration = configuration
        self.logger = logger
    }

    func blocking<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await NIOThreadPool.singleton.runIfActive(body)
    }

    // MARK: submitting

    /// Records the run as queued and starts it in the background. With `wait`, returns when it
    /// is over; else at once (`202`).
    func submit(_ request: JobRequest, principal: Principal) async throws -> RunResult {
        guard let language = languages.resolve(request.language) else {
            throw APIError(
                .unprocessableContent, code: "unknown_language",
                message: "No language \(request.language) here; GET /api/languages lists what is.", details: ["field": "language"])
        }
        if let file = request.file {
            let sandbox = try await sandboxes.sandbox(of: principal.username)
            try await blocking {
                let entry = try SandboxDirectory(path: sandbox).stat(try SandboxPath(file))
                guard entry.kind == .file else {
                    throw SandboxError(.notRegularFile, path: file, "The file to run is not a regular file.")
                }
            }
        }
        // A full queue is refused now (503), before the job is recorded: a client must be able to
        // tell "try later" from a run that was accepted.
        let counts = queue.counts
        if counts.waiting >= configuration.maxQueued && counts.running >= configuration.maxRunning {
            throw QueueError.full
        }
        var renamed = request
        renamed.language = language.name
        let named = renamed
        let queued = try await blocking { [store] in try store.insert(queued: named) }
        let run = ActiveRun(username: principal.username)
        active.withLockedValue { $0[queued.id] = run }
        let output = RunOutput(stdoutLimit: configuration.outputLimitBytes, stderrLimit: configuration.outputLimitBytes)
        outputs.add(output, for: queued.id)
        Task {
            let result = await execute(named, job: queued, language: language, principal: principal, run: run, output: output)
            active.withLockedValue { _ = $0.removeValue(forKey: queued.id) }
            run.complete(result)
        }
        guard named.wait else { return queued }
        return await run.result()
    }

    /// Cancels a queued or running job of `username`; false when there is no such job running.
    func cancel(id: String, username: String) async throws -> Bool {
        guard let run = active.withLockedValue({ $0[id] }), run.username == username else {
            return try await blocking { [store] in try store.find(id: id, username: username) } != nil
        }
        if queue.cancelWaiting(jobID: id) { _ = run.cancel(); return true }
        if let handle = run.cancel() { await runner.stop(handle) }
        return true
    }

    /// nox-exec is stopping (SIGTERM): every queued and running run ends now, recorded as `error`,
    /// so no unit goes on using its user's quota with nobody to read its output, and the requests
    /// waiting for them get an answer before the HTTP server closes.
    func abortAll() async {
        let runs = active.withLockedValue { $0 }
        for (id, run) in runs {
            let handle = run.abort()
            if queue.cancelWaiting(jobID: id) { continue }
            if let handle { await runner.stop(handle) }
        }
        if !runs.isEmpty { logger.warning("Stopping: runs in progress were ended", metadata: ["nox.count": "\(runs.count)"]) }
    }

    /// Waits (at most `limit`) until every run has ended and its result is recorded.
    func waitForRuns(limit: Duration) async {
        let deadline = ContinuousClock.now + limit
        while active.withLockedValue({ !$0.isEmpty }) && ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(20))
        }
    }

    func result(id: String, username: String) async throws -> RunResult? {
        try await blocking { [store] in try store.find(id: id, username: username) }
    }
}
