import EarshotCore
import Foundation

/// Everything the status page shows, as served by `GET /status.json` (snake_case keys, see
/// `EarshotJSON`). The page and the JSON are rendered from the same value so they never disagree.
public struct NodeStatusReport: Codable, Sendable, Hashable {
    public var status: NodeConnectionStatus
    public var slots: [SlotStatus]
    public var queue: QueueStatus
    public var settings: NodeSettings
    public var system: SystemInfo

    public init(status: NodeConnectionStatus, slots: [SlotStatus], queue: QueueStatus, settings: NodeSettings, system: SystemInfo) {
        self.status = status
        self.slots = slots
        self.queue = queue
        self.settings = settings
        self.system = system
    }
}

/// Who this node is and how its link to the server is doing.
public struct NodeConnectionStatus: Codable, Sendable, Hashable {
    public var name: String
    public var nodeId: String
    public var serverUrl: String
    /// True while the latest heartbeat was accepted.
    public var connected: Bool
    public var lastHeartbeatAt: Date?
    /// The state the server gave in its latest reply (`online`, `busy`, ...).
    public var serverState: String?
    /// Why the latest heartbeat failed; nil after a success.
    public var lastHeartbeatError: String?
    public var startedAt: Date
    public var uptimeSeconds: Double

    public init(
        name: String, nodeId: String, serverUrl: String, connected: Bool, lastHeartbeatAt: Date?, serverState: String?,
        lastHeartbeatError: String?, startedAt: Date, uptimeSeconds: Double
    ) {
        self.name = name
        self.nodeId = nodeId
        self.serverUrl = serverUrl
        self.connected = connected
        self.lastHeartbeatAt = lastHeartbeatAt
        self.serverState = serverState
        self.lastHeartbeatError = lastHeartbeatError
        self.startedAt = startedAt
        self.uptimeSeconds = uptimeSeconds
    }
}

/// One worker slot: idle when `jobId` is nil.
public struct SlotStatus: Codable, Sendable, Hashable {
    /// 1-based, as people count slots.
    public var index: Int
    public var jobId: String?
    /// Fraction 0...1 of the audio transcribed so far.
    public var progress: Double?
    public var filename: String?
    public var model: String?

    public init(index: Int, jobId: String? = nil, progress: Double? = nil, filename: String? = nil, model: String? = nil) {
        self.index = index
        self.jobId = jobId
        self.progress = progress
        self.filename = filename
        self.model = model
    }
}

/// The server's queue as `GET /api/v1/queue/stats` reports it, or why it could not be read.
public struct QueueStatus: Codable, Sendable, Hashable {
    public var stats: QueueStats?
    public var error: String?

    public init(stats: QueueStats? = nil, error: String? = nil) {
        self.stats = stats
        self.error = error
    }
}

/// How the node was started; fixed for the life of the process.
public struct NodeSettings: Codable, Sendable, Hashable {
    public var slots: Int
    public var models: [String]
    public var engine: String
    public var python: String
    public var threads: Int
    public var dataDir: String
    /// Whether the node has the speaker model and so takes diarization jobs.
    public var diarization: Bool

    public init(
        slots: Int, models: [String], engine: String = "faster-whisper", python: String, threads: Int, dataDir: String, diarization: Bool = false
    ) {
        self.diarization = diarization
        self.slots = slots
        self.models = models
        self.engine = engine
        self.python = python
        self.threads = threads
        self.dataDir = dataDir
    }
}
