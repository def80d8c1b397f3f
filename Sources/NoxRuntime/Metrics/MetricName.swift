/// Every metric a Nox daemon records, with its Prometheus type and help text. nox-metrics
/// writes the help texts into `/metrics` (swift-metrics carries none), and the Grafana
/// dashboard and alert rules in `packaging/` use these names.
public struct MetricName: Sendable, Hashable {
    public let name: String
    public let type: String
    public let help: String

    init(_ name: String, _ type: String, _ help: String) {
        self.name = name
        self.type = type
        self.help = help
    }

    // Every daemon (RequestMiddleware).
    public static let httpRequests = MetricName(
        "nox_http_server_requests_total", "counter", "HTTP requests served, by method, route pattern and status code.")
    public static let httpDuration = MetricName(
        "nox_http_server_request_duration_seconds", "histogram", "Time to answer an HTTP request (until the response head).")
    // nox-auth.
    public static let authFailures = MetricName(
        "nox_auth_failures_total", "counter", "Refused logins and credentials, by reason.")
    // nox-exec.
    public static let execRuns = MetricName(
        "nox_exec_runs_total", "counter", "Finished runs, by language and final status.")
    public static let execRunDuration = MetricName(
        "nox_exec_run_duration_seconds", "histogram", "Wall time of finished runs, by language.")
    public static let execQueueRunning = MetricName("nox_exec_queue_running", "gauge", "Runs in progress.")
    public static let execQueueWaiting = MetricName("nox_exec_queue_waiting", "gauge", "Runs waiting in the queue for a slot.")
    // nox-files.
    public static let filesBytesReceived = MetricName(
        "nox_files_received_bytes_total", "counter", "Bytes of file content received (uploads, PUT, restores).")
    public static let filesBytesSent = MetricName(
        "nox_files_sent_bytes_total", "counter", "Bytes of file content sent (downloads, backup downloads).")

    /// The daemons' metrics, by Prometheus name.
    public static let all: [String: MetricName] = Dictionary(
        uniqueKeysWithValues: [
            httpRequests, httpDuration, authFailures, execRuns, execRunDuration, execQueueRunning, execQueueWaiting,
            filesBytesReceived, filesBytesSent,
        ].map { ($0.name, $0) })
}
