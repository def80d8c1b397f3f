import NoxMetrics
import NoxRuntime
import Testing

@Suite struct ServiceStatusTests {
    static let sockets = [UnitState(name: "nox-files.socket", activeState: "active"), UnitState(name: "nox-files-varlink.socket", activeState: "active")]

    @Test func stoppedWithListeningSocketsIsIdle() async {
        let verdict = await ServiceStatus.judge(service: UnitState(name: "nox-files.service", activeState: "inactive", subState: "dead"), sockets: Self.sockets) {
            Issue.record("an idle daemon must not be pinged (that would start it)")
            return false
        }
        #expect(verdict.status == "idle")
    }

    @Test func failedServiceIsFailedWithReason() async {
        let verdict = await ServiceStatus.judge(service: UnitState(name: "nox-files.service", activeState: "failed", subState: "failed"), sockets: Self.sockets) { true }
        #expect(verdict.status == "failed")
        #expect(verdict.reason?.contains("nox-files.service") == true)
    }

    @Test func runningAndAnsweringIsOk() async {
        let running = UnitState(name: "nox-files.service", activeState: "active", subState: "running")
        #expect(await ServiceStatus.judge(service: running, sockets: Self.sockets) { true }.status == "ok")
        #expect(await ServiceStatus.judge(service: running, sockets: Self.sockets) { false }.status == "degraded")
    }

    @Test func closedSocketIsDegraded() async {
        let sockets = [UnitState(name: "nox-files.socket", activeState: "inactive")]
        let verdict = await ServiceStatus.judge(service: UnitState(name: "nox-files.service", activeState: "inactive"), sockets: sockets) { true }
        #expect(verdict.status == "degraded")
    }

    @Test func scrapeAllowListMatchesAddressesAndRanges() throws {
        let range = try #require(IPAddressRange("10.1.0.0/16"))
        #expect(range.contains("10.1.200.3"))
        #expect(!range.contains("10.2.0.1"))
        #expect(try #require(IPAddressRange("127.0.0.1")).contains("::ffff:127.0.0.1"))
        #expect(try #require(IPAddressRange("::1")).contains("::1"))
        #expect(IPAddressRange("300.1.1.1") == nil)
        #expect(IPAddressRange("10.0.0.0/33") == nil)
        #expect(!range.contains("local"))
    }
}
