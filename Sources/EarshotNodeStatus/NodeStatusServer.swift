import EarshotCore
import Foundation
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle

/// The node's local status UI: `GET /` (HTML) and `GET /status.json`, bound by default to
/// 127.0.0.1:8001 so it is not exposed beyond the machine. Several nodes on one machine each take
/// their own port; port 0 picks a free one, reported through `onRunning`.
///
/// Runs as a `Service`: add it to the node's `ServiceGroup` and it stops with the group. The UI
/// is an aid, not the node's job: if it cannot listen (say the port is taken by another node on
/// the machine) the error is logged and the node keeps transcribing without it.
public struct NodeStatusServer: Service {
    public let model: NodeStatusModel
    public let host: String
    public let port: Int
    /// How long a render waits for the server's queue stats before showing them as unavailable.
    public let queueTimeout: TimeInterval
    let logger: Logger
    let onRunning: @Sendable (_ host: String, _ port: Int) async -> Void

    /// - Parameter onRunning: called once the socket is bound, with the real port.
    public init(
        model: NodeStatusModel, host: String = "127.0.0.1", port: Int = 8001, queueTimeout: TimeInterval = 2,
        logger: Logger = Logger(label: "earshot.node.status"),
        onRunning: @escaping @Sendable (_ host: String, _ port: Int) async -> Void = { _, _ in }
    ) {
        self.model = model
        self.host = host
        self.port = port
        self.queueTimeout = queueTimeout
        self.logger = logger
        self.onRunning = onRunning
    }

    public func run() async throws {
        let host = host
        let port = port
        let onRunning = onRunning
        let app = Application(
            router: makeRouter(),
            configuration: .init(address: .hostname(host, port: port), serverName: "earshot-node"),
            onServerRunning: { channel in await onRunning(host, channel.localAddress?.port ?? port) },
            logger: logger
        )
        do {
            try await app.run()
        } catch {
            if Task.isCancelled || Task.isShuttingDownGracefully { return }
            logger.error(
                "status UI not available", metadata: ["address": "\(host):\(port)", "error": "\(error)"]
            )
            // Returning now would end the whole service group; wait for the node to stop instead.
            try? await gracefulShutdown()
        }
    }

    /// The routes, separate from ``run()`` so they can be exercised without a socket.
    public func makeRouter() -> Router<BasicRequestContext> {
        let router = Router()
        router.get("/") { _, _ in
            let report = await report()
            return Response(
                status: .ok, headers: [.contentType: "text/html; charset=utf-8", .cacheControl: "no-store"],
                body: .init(byteBuffer: ByteBuffer(string: NodeStatusPage.render(report)))
            )
        }
        router.get("status.json") { _, _ in
            let data = try EarshotJSON.encoder(pretty: true).encode(await report())
            return Response(
                status: .ok, headers: [.contentType: "application/json; charset=utf-8", .cacheControl: "no-store"],
                body: .init(byteBuffer: ByteBuffer(bytes: data))
            )
        }
        return router
    }

    /// Gathers the report; the queue stats are fetched afresh each time.
    public func report() async -> NodeStatusReport {
        let queue = await QueueStatsFetcher(serverURL: model.serverURL, timeout: queueTimeout, key: model.serverKey).fetch()
        return NodeStatusReport(
            status: model.connectionStatus(), slots: model.slots(), queue: queue, settings: model.settings,
            system: SystemInfo.current()
        )
    }
}
