import Testing

@testable import NoxExec

@Suite struct RunStatusTests {
    @Test func onlyQueuedAndRunningAreNotFinal() {
        #expect(RunStatus.allCases.filter { !$0.isFinal } == [.queued, .running])
        #expect(RunStatus(rawValue: "oom") == .oom)
    }
}
