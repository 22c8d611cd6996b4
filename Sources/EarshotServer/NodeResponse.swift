import EarshotCore
import Foundation

/// A node as the admin API shows it.
struct NodeResponse: Encodable, Sendable {
    var id: String
    var name: String
    var state: NodeState
    var priority: Int
    var lastHeartbeatAt: Date?
    var currentJobs: [JobID]
    var engines: [String]
    var models: [String]
    var device: String?
    var diarization: Bool
    var slots: Int?
    var freeSlots: Int?
    var jobsDone: Int
    var audioSecondsDone: Double
    var createdAt: Date

    init(_ node: Node, runningJobs: [JobID], now: Date, heartbeatTimeoutSeconds: Double) {
        id = node.id
        name = node.name
        state = node.state(now: now, heartbeatTimeoutSeconds: heartbeatTimeoutSeconds, holdsJobs: !runningJobs.isEmpty)
        priority = node.priority
        lastHeartbeatAt = node.lastHeartbeatAt
        currentJobs = runningJobs
        engines = node.capabilities?.engines ?? []
        models = node.capabilities?.models ?? []
        device = node.capabilities?.device
        diarization = node.capabilities?.diarization ?? false
        slots = node.capabilities?.slots
        freeSlots = node.capabilities?.freeSlots
        jobsDone = node.jobsDone
        audioSecondsDone = node.audioSecondsDone
        createdAt = node.createdAt
    }
}

struct NodeListResponse: Encodable, Sendable {
    var nodes: [NodeResponse]
}

/// `POST /api/v1/nodes/{id}/test`: whether the node can take work now, and if not, why.
struct NodeTestResult: Encodable, Sendable {
    var ok: Bool
    var state: NodeState
    var lastHeartbeatAgeSeconds: Double?
    var models: [String]
    var freeSlots: Int
    var reason: String?
}
