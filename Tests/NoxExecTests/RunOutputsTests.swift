import Testing

@testable import NoxExec

@Suite("Run outputs registry")
struct RunOutputsTests {
    @Test("a running output stays; a finished one is kept for the retention, then dropped")
    func retention() async throws {
        let outputs = RunOutputs(retention: .milliseconds(100))
        let running = RunOutput()
        let finished = RunOutput()
        outputs.add(running, for: "job_running")
        outputs.add(finished, for: "job_finished")
        finished.finish(result: RunOutputTests.result)
        #expect(outputs.get("job_finished") === finished)
        #expect(outputs.count == 2)

        try await Task.sleep(for: .milliseconds(250))
        #expect(outputs.get("job_finished") == nil)
        #expect(outputs.get("job_running") === running)
        #expect(outputs.purgeExpired() == 0)
        #expect(outputs.remove("job_running") === running)
        #expect(outputs.count == 0)
        #expect(outputs.get("job_unknown") == nil)
    }
}
