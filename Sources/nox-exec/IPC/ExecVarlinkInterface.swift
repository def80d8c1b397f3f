import NoxIPC
import NoxRuntime

/// `io.nox.Exec`: the queue's state, for nox-metrics.
enum ExecVarlinkInterface {
    struct UserRuns: Encodable, Sendable {
        var username: String
        var running: Int
        var waiting: Int
    }
    struct QueueReply: Encodable, Sendable {
        var running: Int
        var waiting: Int
        var users: [UserRuns]
    }

    static func make(service: ExecService) throws -> VarlinkInterface {
        try VarlinkInterface(
            description: VarlinkInterfaces.ioNoxExec,
            methods: [
                VarlinkMethod("GetQueue", parameters: VarlinkEmpty.self) { _, _ in
                    let counts = service.queue.counts
                    let names = Set(counts.runningByUser.keys).union(counts.waitingByUser.keys).sorted()
                    return QueueReply(
                        running: counts.running, waiting: counts.waiting,
                        users: names.map { UserRuns(username: $0, running: counts.runningByUser[$0] ?? 0, waiting: counts.waitingByUser[$0] ?? 0) })
                }
            ],
            authorization: .users(VarlinkPeers.noxDaemons())
        )
    }
}
