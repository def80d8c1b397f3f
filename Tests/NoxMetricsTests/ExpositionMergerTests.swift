import Foundation
import NoxMetrics
import NoxRuntime
import Testing

@Suite struct ExpositionMergerTests {
    static let files = """
        # TYPE nox_http_server_requests_total counter
        nox_http_server_requests_total{http_request_method="GET",http_route="/api/files",http_response_status_code="200"} 3
        # TYPE nox_http_server_request_duration_seconds histogram
        nox_http_server_request_duration_seconds_bucket{http_request_method="GET",http_route="/api/files",le="0.005"} 2
        nox_http_server_request_duration_seconds_bucket{http_request_method="GET",http_route="/api/files",le="+Inf"} 3
        nox_http_server_request_duration_seconds_sum{http_request_method="GET",http_route="/api/files"} 0.012
        nox_http_server_request_duration_seconds_count{http_request_method="GET",http_route="/api/files"} 3

        """
    static let auth = """
        # TYPE nox_http_server_requests_total counter
        nox_http_server_requests_total{http_request_method="POST",http_route="/api/auth/login",http_response_status_code="401"} 1
        # TYPE nox_auth_failures_total counter
        nox_auth_failures_total{nox_auth_reason="login"} 1

        """

    @Test func parsesFamiliesWithHistogramSuffixes() {
        let result = ExpositionParser.parse(Self.files)
        #expect(result.skippedLines == 0)
        #expect(result.families.map(\.name) == ["nox_http_server_requests_total", "nox_http_server_request_duration_seconds"])
        #expect(result.families[1].samples.count == 4)
        #expect(result.families[1].samples[1].labels.last == .init("le", "+Inf"))
    }

    @Test func mergesSameFamilyOnceWithServiceLabel() {
        let merged = ExpositionMerger.merge([
            ("nox-files", ExpositionParser.parse(Self.files).families), ("nox-auth", ExpositionParser.parse(Self.auth).families),
        ])
        let requests = try! #require(merged.first { $0.name == "nox_http_server_requests_total" })
        #expect(requests.samples.count == 2)
        #expect(Set(requests.samples.map { $0.labels.first!.value }) == ["nox-files", "nox-auth"])
        #expect(requests.samples.allSatisfy { $0.labels.first!.name == "service_name" })
        // Help comes from the catalog when the source had none.
        #expect(requests.help == MetricName.httpRequests.help)
        let text = ExpositionRenderer.render(merged)
        #expect(text.components(separatedBy: "# TYPE nox_http_server_requests_total counter").count == 2)
        #expect(merged.map(\.name) == merged.map(\.name).sorted())
    }

    @Test func conflictingTypeIsDroppedNotMixed() {
        let gauge = "# TYPE nox_auth_failures_total gauge\nnox_auth_failures_total 5\n"
        let merged = ExpositionMerger.merge([
            ("nox-auth", ExpositionParser.parse(Self.auth).families), ("nox-exec", ExpositionParser.parse(gauge).families),
        ])
        let failures = try! #require(merged.first { $0.name == "nox_auth_failures_total" })
        #expect(failures.type == "counter")
        #expect(failures.samples.count == 1)
    }

    @Test func roundTripKeepsEscapedLabelValues() {
        let text = "# HELP x_total A \\\\ help\n# TYPE x_total counter\nx_total{path=\"a\\\"b\\\\c\\nd\"} 1\n"
        let parsed = ExpositionParser.parse(text)
        #expect(parsed.families[0].samples[0].labels[0].value == "a\"b\\c\nd")
        #expect(parsed.families[0].help == "A \\ help")
        #expect(ExpositionRenderer.render(parsed.families) == text)
    }

    @Test func badLinesAreSkippedAndCounted() {
        let result = ExpositionParser.parse("# TYPE a gauge\na 1\na{b=\"unterminated} 2\n9bad 1\na{b=\"x\"} notanumber\n")
        #expect(result.skippedLines == 3)
        #expect(result.families.first?.samples.count == 1)
    }

    @Test func swiftPrometheusOutputParses() {
        // What the daemons' registries actually write, through swift-metrics with Nox's factory.
        let registry = PrometheusCollectorRegistryFixture.make()
        let result = ExpositionParser.parse(registry)
        #expect(result.skippedLines == 0)
        let requests = try! #require(result.families.first { $0.name == "nox_http_server_requests_total" })
        #expect(requests.type == "counter")
        #expect(requests.samples.first?.labels.map(\.name).sorted() == ["http_request_method", "http_response_status_code", "http_route"])
        let durations = try! #require(result.families.first { $0.name == "nox_http_server_request_duration_seconds" })
        #expect(durations.type == "histogram")
    }
}
