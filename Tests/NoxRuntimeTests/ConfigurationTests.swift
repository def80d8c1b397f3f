import Testing

@testable import NoxRuntime

@Suite struct ConfigurationTests {
    @Test func emptyConfigurationGivesTheDefaults() throws {
        let configuration = try ConfigurationLoader.parse([])
        #expect(configuration == NoxConfiguration())
        #expect(configuration.auth.accessTokenTTL == 900)
    }

    @Test func dropInsOverrideKeyByKey() throws {
        let configuration = try ConfigurationLoader.parse([
            ("nox.toml", "[auth]\naccess_token_ttl_s = 600\n[quotas]\nmemory_mb = 256\ncpu_percent = 50\n"),
            ("nox.d/10-local.toml", "[quotas]\nmemory_mb = 1024\n"),
        ])
        #expect(configuration.auth.accessTokenTTL == 600)
        #expect(configuration.quotas.memory_mb == 1024)
        #expect(configuration.quotas.cpu_percent == 50)
        #expect(configuration.quotas.tasks_max == Quotas().tasks_max)
    }

    @Test(arguments: [
        ("[auth]\naccess_token_ttl_s = \"soon\"\n", "must be an integer"),
        ("[auth]\naccess_token_ttl_s = 5\n", "outside"),
        ("[auth]\nacess_token_ttl_s = 600\n", "has no key acess_token_ttl_s"),
        ("[quotas]\nmemory_mb = 0\n", "outside"),
        ("auth = 3\n", "must be a table"),
        ("[auth\n", "not valid TOML"),
    ])
    func badConfigurationNamesTheFileAndKey(text: String, expected: String) throws {
        let error = #expect(throws: ConfigurationError.self) { try ConfigurationLoader.parse([("bad.toml", text)]) }
        #expect(error?.description.contains("bad.toml") == true)
        #expect(error?.description.contains(expected) == true, "\(error?.description ?? "")")
    }

    @Test func sectionsOfOtherDaemonsAreLeftToThem() throws {
        let configuration = try ConfigurationLoader.parse([("nox.toml", "[later]\nretention = 10\n")])
        #expect(configuration == NoxConfiguration())
    }

    @Test func execAndFilesSectionsAreReadStrictly() throws {
        let configuration = try ConfigurationLoader.parse([
            ("nox.toml", "[exec]\nmax_running = 3\nnetwork_roles = [\"admin\", \"user\"]\n[files]\nbackups_per_user = 2\n")
        ])
        #expect(configuration.exec.maxRunning == 3)
        #expect(configuration.exec.networkRoles == ["admin", "user"])
        #expect(configuration.files.backupsPerUser == 2)
        #expect(throws: ConfigurationError.self) { try ConfigurationLoader.parse([("a.toml", "[exec]\nqueue_size = 10\n")]) }
        #expect(throws: ConfigurationError.self) { try ConfigurationLoader.parse([("a.toml", "[exec]\nnetwork_roles = [\"root\"]\n")]) }
    }
}

@Suite struct RateLimiterTests {
    final class FakeClock: @unchecked Sendable {
        var now = 0.0
    }

    @Test func allowsTheLimitThenAsksToWaitThenRefills() {
        let clock = FakeClock()
        let limiter = RateLimiter(clock: { clock.now })
        for _ in 0..<60 { #expect(limiter.acquire("alice", perMinute: 60) == nil) }
        #expect(limiter.acquire("alice", perMinute: 60) == 1)
        // Other users have their own bucket.
        #expect(limiter.acquire("bob", perMinute: 60) == nil)
        clock.now = 2
        #expect(limiter.acquire("alice", perMinute: 60) == nil)
        #expect(limiter.acquire("alice", perMinute: 60) == nil)
        #expect(limiter.acquire("alice", perMinute: 60) != nil)
    }
}

@Suite struct JournaldFieldTests {
    @Test(arguments: [
        ("nox.request_id", "NOX_REQUEST_ID"),
        ("nox.user", "NOX_USER"),
        ("http.response.status_code", "NOX_HTTP_RESPONSE_STATUS_CODE"),
        ("weird key!", "NOX_WEIRD_KEY_"),
    ])
    func metadataKeysBecomeJournalFields(key: String, field: String) {
        #expect(JournaldLogHandler.fieldName(key) == field)
    }
}
