import Hummingbird
import Logging
import ServiceLifecycle

/// A real HTTP server on loopback for a test's stand-ins (a podcast host, a radio station), run
/// until ``stop()``. Port 0 picks a free one; a stopped server can come back on the same port.
struct LoopbackServer {
    let port: Int
    private let group: ServiceGroup
    private let task: Task<Void, any Error>

    static func start(_ router: Router<BasicRequestContext>, port: Int = 0) async throws -> LoopbackServer {
        let (ports, portIn) = AsyncStream<Int>.makeStream()
        var logger = Logger(label: "loopback")
        logger.logLevel = .critical
        let app = Application(
            router: router, configuration: .init(address: .hostname("127.0.0.1", port: port)),
            onServerRunning: { portIn.yield($0.localAddress?.port ?? 0) }, logger: logger
        )
        let group = ServiceGroup(configuration: .init(services: [app], gracefulShutdownSignals: [], logger: logger))
        let task = Task { try await group.run() }
        var iterator = ports.makeAsyncIterator()
        guard let bound = await iterator.next(), bound > 0 else { throw TestFailure("the loopback server did not start") }
        return LoopbackServer(port: bound, group: group, task: task)
    }

    func stop() async {
        await group.triggerGracefulShutdown()
        _ = try? await task.value
    }
}
