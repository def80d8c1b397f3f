import Foundation
import Glibc
import Logging
import NoxFiles
import NoxRuntime

extension ExecService {
    /// One run from the queue to its recorded result. Never throws: whatever goes wrong on Nox's
    /// side becomes status `error` with a message that says what.
    func execute(
        _ request: JobRequest, job: RunResult, language: Language, principal: Principal, run: ActiveRun, output: RunOutput
    ) async -> RunResult {
        var result = job
        let admission: Admission
        do {
            admission = try await queue.admit(jobID: job.id, username: principal.username, maxConcurrent: principal.quotas.max_concurrent)
        } catch let error as QueueError where error.code == .full {
            // Filled up between the check in `submit` and here.
            result.status = .error
            result.error = error.message
            return await record(result, output: output, request: request, run: run)
        } catch {
            result.status = .cancelled
            return await record(result, output: output, request: request, run: run)
        }
        defer { admission.release() }
        if run.isCancelled {
            result.status = .cancelled
            return await record(result, output: output, request: request, run: run)
        }
        let started = Date()
        result.status = .running
        result.startedAt = RFC3339.string(started)
        _ = try? await blocking { [store] in try store.markRunning(id: job.id, at: started) }
        let codeDirectory = runsDirectory + "/" + job.id
        defer { try? FileManager.default.removeItem(atPath: codeDirectory) }
        do {
            let sandbox = try await sandboxes.sandbox(of: principal.username)
            let sourcePath = try await prepare(request, language: language, sandbox: sandbox, codeDirectory: codeDirectory)
            let slice = try await slices.ensure(username: principal.username, quotas: principal.quotas)
            let commands = language.commands(
                source: sourcePath, binary: RunUnit.compiledProgramPath, workdir: RunUnit.sandboxMountPoint, args: [])
            let pipes = try RunPipes(stdin: Array((request.stdin ?? "").utf8))
            let unitName = RunIdentity.unitName(jobID: job.id)
            let usageReport = RunUnit.usageDirectory + "/" + job.id + ".usage"
            defer { unlink(usageReport) }
            // The run's secrets as root-only credential files, never unit properties (SecretDelivery).
            defer { SecretDelivery.remove(jobID: job.id) }
            let credentials = try SecretDelivery.write(request.secrets, jobID: job.id)
            let unit = RunUnit(
                name: unitName, slice: slice, dynamicUser: RunIdentity.dynamicUser(for: principal.username),
                sandboxPath: sandbox, codeDirectory: request.code == nil ? nil : codeDirectory,
                usageReportCommand: runner.usageReportCommand(slice: slice, unit: unitName, file: usageReport),
                compile: commands.compile,
                // A manifest without its own compile limit gives compiling the request's timeout.
                compileTimeoutMicroseconds: UInt64(language.manifest.compileTimeoutSeconds ?? request.timeoutSeconds) * 1_000_000,
                command: SecretDelivery.wrap(commands.run + request.args, names: Array(request.secrets.keys)),
                environment: environment(request, language: language),
                memoryMaxBytes: UInt64(request.memoryMB) * 1_048_576,
                cpuQuotaPerSecond: UInt64(principal.quotas.cpu_percent) * 10_000,
                tasksMax: UInt64(max(principal.quotas.tasks_max, language.manifest.tasksMin ?? 0)),
                runtimeMaxMicroseconds: UInt64(request.timeoutSeconds) * 1_000_000,
                fileSizeLimitBytes: UInt64(configuration.fileSizeLimitMB) * 1_048_576,
                network: request.network, memoryDenyWriteExecute: language.manifest.memoryDenyWriteExecute,
                standardInput: pipes.runStdin, standardOutput: pipes.runStdout, standardError: pipes.runStderr,
                credentials: credentials
            )
            let handle: UnitRunner.Handle
            do {
                handle = try await runner.start(unit, usageReport: usageReport)
            } catch {
                pipes.closeRunEnds()
                throw error
            }
            pipes.closeRunEnds()
            if !run.started(handle) { await runner.stop(handle) }
            let disk = DiskWatch()
            let diskQuota = Int64(principal.quotas.disk_mb) * 1_048_576
            disk.start(sandbox: sandbox, quotaBytes: diskQuota) { [runner] in await runner.stop(handle) }
            async let pumped: Void = pipes.pump { stream, bytes in output.append(stream == .stdout ? .stdout : .stderr, bytes) }
            let report = await runner.finish(handle)
            disk.finish()
            await pumped
            let finished = Date()
            apply(report, to: &result, cancelled: run.isCancelled)
            if disk.hasExceeded && !run.isCancelled {
                // Stopped by Nox for its files: like any other kill, with the reason on its stderr.
                (result.status, result.signal, result.exitCode, result.error) = (.killed, "SIGKILL", nil, nil)
                output.append(.stderr, Array("\nnox: the run was stopped: its files went over the disk quota (\(principal.quotas.disk_mb) MB).\n".utf8))
            }
            result.durationMs = Int64((finished.timeIntervalSince(started) * 1000).rounded())
            result.finishedAt = RFC3339.string(finished)
        } catch {
            result.status = .error
            result.error = Self.describe(error)
            result.finishedAt = RFC3339.string(Date())
            logger.error("A run could not be run", metadata: ["nox.job_id": .string(job.id), "error": "\(error)"])
        }
        return await record(result, output: output, request: request, run: run)
    }

    /// Writes the request's files into the sandbox and the inline code into the run's code
    /// directory; returns the source path as the run sees it.
    func prepare(_ request: JobRequest, language: Language, sandbox: String, codeDirectory: String) async throws -> String {
        try await blocking {
            if !request.files.isEmpty {
                let directory = try SandboxDirectory(path: sandbox, options: .init(fileMode: 0o660, directoryMode: 0o770))
                for (path, text) in request.files.sorted(by: { $0.key < $1.key }) {
                    _ = try directory.writeFile(try SandboxPath(path), contents: Array(text.utf8))
                }
            }
            guard let code = request.code else { return request.file! }
            // Readable by the run's dynamic user: the directory is bound read-only into the run.
            guard mkdir(codeDirectory, 0o755) == 0 || errno == EEXIST, chmod(codeDirectory, 0o755) == 0 else {
                throw SandboxError(.io, path: "", "The run's code directory cannot be made.", errno: errno)
            }
            let file = codeDirectory + "/" + language.manifest.sourceName
            guard FileManager.default.createFile(atPath: file, contents: Data(code.utf8)), chmod(file, 0o644) == 0 else {
                throw SandboxError(.io, path: "", "The run's code cannot be written.", errno: errno)
            }
            return RunUnit.codeMountPoint + "/" + language.manifest.sourceName
        }
    }

    /// An allow-list environment: a fixed base, the language's, then the request's (checked names).
    func environment(_ request: JobRequest, language: Language) -> [String] {
        var variables: [String: String] = [
            "PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": "/tmp", "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8", "TMPDIR": "/tmp",
            "PYTHONUNBUFFERED": "1",
        ]
        for (name, value) in language.manifest.environment { variables[name] = value }
        for (name, value) in request.env { variables[name] = value }
        return variables.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
    }

    func apply(_ report: UnitRunner.Report, to result: inout RunResult, cancelled: Bool) {
        result.cpuMs = report.cpuNanoseconds.map { $0 / 1_000_000 }
        result.memoryPeakBytes = report.memoryPeakBytes
        switch report.end {
        case .exited(let status):
            result.exitCode = Int(status)
            result.status = status == 0 ? .succeeded : .failed
        case .signaled(let signal):
            result.signal = SignalName.name(for: Int(signal))
            result.status = report.oomKilled ? .oom : cancelled ? .cancelled : .killed
        case .timedOut:
            result.status = .timeout
        case .stopped:
            result.status = cancelled ? .cancelled : .error
            if !cancelled { result.error = "The run's unit stopped before its program ended." }
        case .failedToStart(let reason):
            result.status = .error
            result.error = reason
        }
    }

    /// Stores the final result, ends the live stream, and logs one line (never the output).
    func record(_ final: RunResult, output: RunOutput, request: JobRequest, run: ActiveRun) async -> RunResult {
        var result = final
        if run.isAborted && [.cancelled, .killed, .error].contains(result.status) {
            result.status = .error
            result.exitCode = nil
            result.signal = nil
            result.error = "nox-exec was stopped while this ran; run it again."
        }
        let captured = output.close()
        result.stdout = captured.stdout
        result.stderr = captured.stderr
        result.stdoutTruncated = captured.stdoutTruncated
        result.stderrTruncated = captured.stderrTruncated
        if result.finishedAt == nil { result.finishedAt = RFC3339.string(Date()) }
        let stored = result
        do {
            _ = try await blocking { [store] in try store.finish(id: stored.id, result: stored) }
        } catch {
            logger.error("A run's result could not be stored", metadata: ["nox.job_id": .string(result.id), "error": "\(error)"])
        }
        output.finish(result: result)
        logger.info(
            "Run \(result.status.rawValue)",
            metadata: [
                "nox.user": .string(request.username), "nox.job_id": .string(result.id), "nox.language": .string(result.language),
                "nox.status": .string(result.status.rawValue), "nox.exit_code": .string(result.exitCode.map(String.init) ?? ""),
                "nox.duration_ms": .string(result.durationMs.map(String.init) ?? ""),
            ])
        return result
    }

    static func describe(_ error: any Error) -> String {
        switch error {
        case let error as APIError: return error.message
        case let error as SandboxError: return error.message
        case let error as BusError: return "systemd refused the run: \(error.message)"
        default: return "Nox failed to run it: \(error)"
        }
    }
}
