import EarshotClient
import EarshotCore
import EarshotEngine
import Foundation
import Logging
import ServiceLifecycle

/// Tells the server this node is alive, what it can run and which jobs it holds: once at start,
/// then every interval (the server's `heartbeat_interval_seconds` when it gives one). Failures
/// are logged and retried at the next beat; a node keeps working through a server outage.
public struct NodeHeartbeatService: Service {
    let client: NodeClient
    let workers: [TranscriptionWorker]
    let models: [String]
    let engines: [String]
    let device: String
    let canDiarize: Bool
    let defaultInterval: Duration
    let logger: Logger
    let onBeat: (@Sendable (Result<NodeHeartbeatReply, any Error>) -> Void)?

    /// `onBeat` hears every heartbeat's outcome (the node's status page shows the latest).
    public init(
        client: NodeClient, workers: [TranscriptionWorker], models: [String],
        engines: [String] = [EngineKind.fasterWhisper.rawValue], device: String = "cpu", canDiarize: Bool = false,
        interval: Duration = .seconds(15), logger: Logger = Logger(label: "earshot.node"),
        onBeat: (@Sendable (Result<NodeHeartbeatReply, any Error>) -> Void)? = nil
    ) {
        self.client = client
        self.workers = workers
        self.models = models
        self.engines = engines
        self.device = device
        self.canDiarize = canDiarize
        self.defaultInterval = interval
        self.logger = logger
        self.onBeat = onBeat
    }

    /// What this node reports right now.
    public func currentHeartbeat() -> NodeHeartbeat {
        let running = workers.compactMap(\.currentJobID)
        return NodeHeartbeat(
            capabilities: NodeCapabilities(
                engines: engines, models: models, device: device, slots: workers.count,
                freeSlots: workers.count - running.count, diarization: canDiarize
            ),
            runningJobs: running
        )
    }

    public func run() async throws {
        var interval = defaultInterval
        var lastState: NodeState?
        var failing = false
        while !Task.isCancelled, !Task.isShuttingDownGracefully {
            do {
                let reply = try await client.heartbeat(currentHeartbeat())
                onBeat?(.success(reply))
                if reply.heartbeatIntervalSeconds > 0 {
                    interval = .milliseconds(Int64(reply.heartbeatIntervalSeconds * 1000))
                }
                // Log transitions only: a beat every 15 s would drown the log.
                if reply.state != lastState || failing {
                    logger.info("heartbeat accepted", metadata: ["node_id": "\(reply.nodeId)", "state": "\(reply.state.rawValue)"])
                }
                lastState = reply.state
                failing = false
            } catch is CancellationError {
                return
            } catch {
                logger.error("heartbeat failed", metadata: ["error": "\(error)"])
                onBeat?(.failure(error))
                failing = true
            }
            let pause = interval
            do {
                try await cancelWhenGracefulShutdown { try await Task.sleep(for: pause) }
            } catch {
                return
            }
        }
    }
}
