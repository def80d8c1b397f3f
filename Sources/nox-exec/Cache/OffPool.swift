import NIOPosix

/// Runs blocking work (SQLite, file system) on NIO's thread pool, off the cooperative pool: the
/// same as `ExecService.blocking`, for the parts that do not hold the service.
func offPool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await NIOThreadPool.singleton.runIfActive(body)
}
