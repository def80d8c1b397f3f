import NoxRuntime
import Testing

@testable import NoxExec

@Suite("Job queue", .timeLimit(.minutes(1)))
struct JobQueueTests {
    /// Waits (up to 20 s of wall time: other suites may keep both cooperative threads busy) until `condition` holds.
    static func eventually(_ what: Comment, _ condition: () -> Bool) async throws {
        let deadline = ContinuousClock.now + .seconds(20)
        while ContinuousClock.now < deadline {
            if condition() { return }
            try await Task.sleep(for: .milliseconds(2))
        }
        Issue.record("timed out waiting until \(what)")
    }

    /// The admission `task` gets, cancelling it after `seconds`: a run that is never admitted
    /// fails the test instead of hanging it.
    static func admitted(_ task: Task<Admission, any Error>, within seconds: Int = 20) async throws -> Admission {
        let timer = Task {
            try await Task.sleep(for: .seconds(seconds))
            task.cancel()
        }
        defer { timer.cancel() }
        return try await task.value
    }

    /// Starts `admit` in a task of its own and returns once the run waits in the queue.
    static func waiting(_ queue: JobQueue, _ jobID: String, _ user: String, max: Int = 1) async throws -> Task<Admission, any Error> {
        let before = queue.counts.waiting
        let task = Task { try await queue.admit(jobID: jobID, username: user, maxConcurrent: max) }
        try await eventually("\(jobID) waits") { queue.counts.waiting == before + 1 }
        return task
    }

    @Test("max_concurrent 1 holds a user's second run but not another user's, and runs go FIFO per user")
    func perUserFIFO() async throws {
        let queue = JobQueue(globalConcurrency: 10, maxQueued: 10)
        let a1 = try await queue.admit(jobID: "a1", username: "alice", maxConcurrent: 1)
        let a2 = try await Self.waiting(queue, "a2", "alice")
        let a3 = try await Self.waiting(queue, "a3", "alice")

        let b1 = try await queue.admit(jobID: "b1", username: "bob", maxConcurrent: 1)
        #expect(queue.counts == JobQueue.Counts(running: 2, waiting: 2, runningByUser: ["alice": 1, "bob": 1], waitingByUser: ["alice": 2]))

        // A raised quota does not let a later run of hers pass her earlier ones.
        let a4 = try await Self.waiting(queue, "a4", "alice", max: 3)

        a1.release()
        let second = try await Self.admitted(a2)
        #expect(second.jobID == "a2")
        #expect(queue.counts.waitingByUser == ["alice": 2])
        second.release()
        let third = try await Self.admitted(a3)
        #expect(third.jobID == "a3")
        // a3 starts; alice then runs 1 of a4's 3, so a4 starts too.
        #expect(try await Self.admitted(a4).jobID == "a4")
        #expect(queue.counts.runningByUser == ["alice": 2, "bob": 1])
        b1.release()
    }

    @Test("the global bound holds runs of users with room; a release admits another user's waiter past a held one")
    func globalBoundWithoutHeadOfLineBlocking() async throws {
        let queue = JobQueue(globalConcurrency: 2, maxQueued: 10)
        let a1 = try await queue.admit(jobID: "a1", username: "alice", maxConcurrent: 1)
        let c1 = try await queue.admit(jobID: "c1", username: "carol", maxConcurrent: 5)
        let a2 = try await Self.waiting(queue, "a2", "alice")
        let b1 = try await Self.waiting(queue, "b1", "bob", max: 5)
        #expect(queue.counts.running == 2)

        // carol's slot frees: alice is still at her limit, so bob (behind her) goes first.
        c1.release()
        let bob = try await Self.admitted(b1)
        #expect(bob.jobID == "b1")
        #expect(queue.counts.waitingByUser == ["alice": 1])
        a1.release()
        #expect(try await Self.admitted(a2).jobID == "a2")
        #expect(queue.counts.runningByUser == ["alice": 1, "bob": 1])
    }

    @Test("a full global queue refuses at once; a run that can start is never refused")
    func fullQueue() async throws {
        let queue = JobQueue(globalConcurrency: 1, maxQueued: 1)
        let a1 = try await queue.admit(jobID: "a1", username: "alice", maxConcurrent: 5)
        let b1 = try await Self.waiting(queue, "b1", "bob")
        await #expect(throws: QueueError.full) {
            try await queue.admit(jobID: "c1", username: "carol", maxConcurrent: 5)
        }
        #expect(QueueError.full.apiError.statusCode == 503)
        #expect(QueueError.full.apiError.headers["Retry-After"] == "5")
        a1.release()
        let bob = try await Self.admitted(b1)
        bob.release()

        let none = JobQueue(globalConcurrency: 1, maxQueued: 0)
        let first = try await none.admit(jobID: "x1", username: "alice", maxConcurrent: 1)
        await #expect(throws: QueueError.full) { try await none.admit(jobID: "x2", username: "bob", maxConcurrent: 1) }
        first.release()
    }

    @Test("cancelWaiting makes the waiter's admit throw cancelled and frees its place")
    func cancelWaiting() async throws {
        let queue = JobQueue(globalConcurrency: 1, maxQueued: 1)
        let a1 = try await queue.admit(jobID: "a1", username: "alice", maxConcurrent: 1)
        let a2 = try await Self.waiting(queue, "a2", "alice")
        #expect(queue.cancelWaiting(jobID: "a2"))
        await #expect(throws: QueueError.cancelled) { try await Self.admitted(a2) }
        #expect(!queue.cancelWaiting(jobID: "a2"))
        #expect(!queue.cancelWaiting(jobID: "a1"))
        #expect(queue.counts.waiting == 0)
        // Its place in the queue is free again.
        let b1 = try await Self.waiting(queue, "b1", "bob")
        a1.release()
        try await Self.admitted(b1).release()
        #expect(queue.counts == JobQueue.Counts(running: 0, waiting: 0, runningByUser: [:], waitingByUser: [:]))
    }

    @Test("cancelling the waiting task removes it and leaks no slot")
    func taskCancellation() async throws {
        let queue = JobQueue(globalConcurrency: 4, maxQueued: 4)
        let a1 = try await queue.admit(jobID: "a1", username: "alice", maxConcurrent: 1)
        let a2 = try await Self.waiting(queue, "a2", "alice")
        a2.cancel()
        await #expect(throws: CancellationError.self) { try await Self.admitted(a2) }
        #expect(queue.counts.waiting == 0)
        a1.release()
        #expect(queue.counts.running == 0)
        // alice can run again at once: the cancelled run holds nothing.
        let again = try await queue.admit(jobID: "a3", username: "alice", maxConcurrent: 1)
        #expect(queue.counts.runningByUser == ["alice": 1])
        again.release()

        // A task cancelled before it asks is refused without queueing.
        let early = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            return try await queue.admit(jobID: "a4", username: "alice", maxConcurrent: 1)
        }
        await #expect(throws: CancellationError.self) { try await Self.admitted(early) }
        #expect(queue.counts == JobQueue.Counts(running: 0, waiting: 0, runningByUser: [:], waitingByUser: [:]))
    }

    @Test("release is idempotent, and dropping an admission releases it")
    func releaseIdempotent() async throws {
        let queue = JobQueue(globalConcurrency: 4, maxQueued: 4)
        let a1 = try await queue.admit(jobID: "a1", username: "alice", maxConcurrent: 2)
        let a2 = try await queue.admit(jobID: "a2", username: "alice", maxConcurrent: 2)
        a1.release()
        a1.release()
        a1.release()
        #expect(queue.counts.runningByUser == ["alice": 1])
        a2.release()
        #expect(queue.counts.running == 0)

        do {
            _ = try await queue.admit(jobID: "a3", username: "alice", maxConcurrent: 1)
        }
        #expect(queue.counts.running == 0)
    }

    @Test("many users racing admissions, cancellations and releases end with nothing held")
    func stress() async throws {
        let queue = JobQueue(globalConcurrency: 3, maxQueued: 1000)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<200 {
                group.addTask {
                    let user = "u\(index % 5)"
                    let task = Task { try await queue.admit(jobID: "j\(index)", username: user, maxConcurrent: 1 + index % 2) }
                    if index % 7 == 0 { task.cancel() }
                    if index % 11 == 0 { queue.cancelWaiting(jobID: "j\(index)") }
                    guard let admission = try? await task.value else { return }
                    #expect(queue.counts.running <= 3)
                    await Task.yield()
                    admission.release()
                }
            }
            try await group.waitForAll()
        }
        #expect(queue.counts == JobQueue.Counts(running: 0, waiting: 0, runningByUser: [:], waitingByUser: [:]))
    }
}
