import NoxRuntime
import Testing

@Suite struct MetricsConfigurationTests {
    @Test func metricsSectionIsReadStrictly() throws {
        let configuration = try ConfigurationLoader.parse([
            ("nox.toml", "[metrics]\nscrape_allow = [\"127.0.0.1\", \"10.0.0.0/8\"]\nhistory_days = 3\n")
        ])
        #expect(configuration.metrics.scrapeAllow == ["127.0.0.1", "10.0.0.0/8"])
        #expect(configuration.metrics.historyDays == 3)
        #expect(throws: ConfigurationError.self) { try ConfigurationLoader.parse([("a.toml", "[metrics]\nscrape_allow = [\"localhost\"]\n")]) }
        #expect(throws: ConfigurationError.self) { try ConfigurationLoader.parse([("a.toml", "[metrics]\nhistory_days = 0\n")]) }
        #expect(throws: ConfigurationError.self) { try ConfigurationLoader.parse([("a.toml", "[metrics]\nretention = 10\n")]) }
    }

    @Test func packagedDefaultsParse() throws {
        // The shipped nox.toml with every [metrics] key uncommented is valid.
        let text = "[metrics]\nscrape_allow = []\nhistory_days = 7\n"
        #expect(try ConfigurationLoader.parse([("nox.toml", text)]).metrics == NoxConfiguration.MetricsConfiguration())
    }
}
