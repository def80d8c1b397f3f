import Dispatch
import Glibc

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// Follows a job: its SSE stream (`GET /api/jobs/{id}/events`) written to stdout/stderr as it
/// comes, until the final `status` event, whose data is the result object. If the stream ends
/// early (a proxy timeout, a daemon restart), the result is polled instead and whatever
/// output the stream had not delivered yet is printed from it.
struct JobFollower {
    let client: APIClient
    /// Write the run's output (false: only wait for the result, for --json).
    var echo = true

    static let finalStatuses: Set<String> = ["succeeded", "failed", "timeout", "oom", "killed", "cancelled", "error"]

    func follow(_ id: String) throws -> JSONValue {
        var parser = SSEParser()
        var printed = [1: 0, 2: 0]  // bytes written per descriptor
        var result: JSONValue?
        let path = "/api/jobs/\(APIClient.pathSegment(id))"
        do {
            try client.send(
                "GET", path + "/events", headers: [(name: "Accept", value: "text/event-stream")],
                handlers: TransferHandlers(onData: { bytes in
                    for event in parser.feed(bytes) {
                        switch event.event {
                        case "stdout", "stderr":
                            let fd: Int32 = event.event == "stdout" ? 1 : 2
                            let text = (try? JSONValue.parse(Data(event.data.utf8)))?["data"].string ?? ""
                            if echo { Console.writeAll(fd, Array(text.utf8)) }
                            printed[Int(fd), default: 0] += text.utf8.count
                        case "status":
                            if let value = try? JSONValue.parse(Data(event.data.utf8)),
                                Self.finalStatuses.contains(value["status"].string ?? "")
                            {
                                result = value
                                return false
                            }
                        default: break
                        }
                    }
                    return true
                }))
        } catch let error as NoxCtlError where result != nil && error.message == "transfer stopped" {
            // We stopped reading after the final event: that is the normal end.
        } catch is APIError {
            // No stream for this job (gone, or not ours): the poll below gives the right error.
        } catch {
            if result == nil { Console.err("noxctl: the output stream of \(id) broke (\(error)); waiting for the result") }
        }
        if let result { return result }
        let final = try waitForResult(path)
        if echo {
            for (fd, key) in [(Int32(1), "stdout"), (Int32(2), "stderr")] {
                let bytes = Array((final[key].string ?? "").utf8)
                let already = printed[Int(fd)] ?? 0
                if bytes.count > already { Console.writeAll(fd, Array(bytes[already...])) }
            }
        }
        return final
    }

    /// Polls `GET /api/jobs/{id}` until the status is final.
    private func waitForResult(_ path: String) throws -> JSONValue {
        var delay = 0.2
        while true {
            let job = try client.json("GET", path)
            if Self.finalStatuses.contains(job["status"].string ?? "") { return job }
            POSIX.sleep(seconds: delay)
            delay = min(2, delay * 1.5)
        }
    }
}

/// Ctrl-C while following a run cancels the run on the server, then exits 130.
final class CancelOnInterrupt: @unchecked Sendable {
    private var sources: [any DispatchSourceSignal] = []

    init(cancel: @escaping @Sendable () -> Void) {
        for number in [SIGINT, SIGTERM] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler {
                Console.err("\nnoxctl: cancelling the run")
                cancel()
                exit(130)
            }
            source.resume()
            sources.append(source)
        }
    }

    deinit {
        for source in sources { source.cancel() }
    }
}
