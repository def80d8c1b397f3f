import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Runs the Python helper scripts in Tests/NoxIPCTests/python.
enum PythonProcess {
    struct Result {
        var status: Int32
        var output: String
    }

    /// Starts `python3 SCRIPT ARGUMENTS...` with its output going to `outputFile`.
    static func start(_ script: String, arguments: [String], outputFile: String) throws -> Process {
        _ = FileManager.default.createFile(atPath: outputFile, contents: nil)
        let output = try FileHandle(forWritingTo: URL(fileURLWithPath: outputFile))
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", TestPaths.pythonDirectory.appendingPathComponent(script).path] + arguments
        process.standardOutput = output
        process.standardError = output
        process.standardInput = FileHandle.nullDevice
        try process.run()
        return process
    }

    /// Runs a script to its end (terminating it after `timeout`) and returns its status and output.
    static func run(_ script: String, arguments: [String], in directory: String, timeout: Duration = .seconds(30)) async throws -> Result {
        let outputFile = directory + "/\(script).log"
        let process = try start(script, arguments: arguments, outputFile: outputFile)
        let deadline = ContinuousClock.now + timeout
        while process.isRunning {
            if ContinuousClock.now > deadline {
                stop(process)
                break
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        while process.isRunning { try await Task.sleep(for: .milliseconds(20)) }
        let output = (try? String(contentsOfFile: outputFile, encoding: .utf8)) ?? ""
        return Result(status: process.terminationStatus, output: output)
    }

    /// Runs a Python server script on `socketPath` for the duration of `body`.
    static func withServer<T>(
        _ script: String,
        socketPath: String,
        in directory: String,
        _ body: () async throws -> T
    ) async throws -> T {
        let outputFile = directory + "/\(script).log"
        let process = try start(script, arguments: [socketPath], outputFile: outputFile)
        defer { stop(process) }
        let deadline = ContinuousClock.now + .seconds(15)
        // The script prints "listening" once its socket accepts connections.
        while !((try? String(contentsOfFile: outputFile, encoding: .utf8)) ?? "").contains("listening") {
            guard process.isRunning, ContinuousClock.now < deadline else {
                let output = (try? String(contentsOfFile: outputFile, encoding: .utf8)) ?? ""
                throw PythonServerFailed(output: output)
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        return try await body()
    }

    /// Kills a script with SIGKILL: it inherits the test runner's signal dispositions, under
    /// which SIGTERM was seen not to end it.
    static func stop(_ process: Process) {
        guard process.isRunning else { return }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    struct PythonServerFailed: Error, CustomStringConvertible {
        var output: String
        var description: String { "the Python server did not start:\n\(output)" }
    }
}
