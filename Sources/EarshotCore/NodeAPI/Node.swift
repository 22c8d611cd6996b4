import Foundation

/// A node's state as the admin API shows it.
public enum NodeState: String, Codable, Sendable, Hashable, CaseIterable {
    /// Heartbeating, no job.
    case online
    /// Heartbeating, holding at least one job.
    case busy
    /// No heartbeat within the timeout.
    case offline
    /// Switched off by an admin: gets no work.
    case disabled
}

/// A registered transcriber node.
public struct Node: Codable, Sendable, Hashable {
    public var id: String
    public var name: String
    public var priority: Int
    public var disabled: Bool
    public var createdAt: Date
    public var lastHeartbeatAt: Date?
    public var capabilities: NodeCapabilities?
    public var jobsDone: Int
    public var audioSecondsDone: Double

    public init(
        id: String, name: String, priority: Int, disabled: Bool, createdAt: Date, lastHeartbeatAt: Date?,
        capabilities: NodeCapabilities?, jobsDone: Int, audioSecondsDone: Double
    ) {
        self.id = id
        self.name = name
        self.priority = priority
        self.disabled = disabled
        self.createdAt = createdAt
        self.lastHeartbeatAt = lastHeartbeatAt
        self.capabilities = capabilities
        self.jobsDone = jobsDone
        self.audioSecondsDone = audioSecondsDone
    }

    /// The lease holder name this node's claims carry.
    public var leaseHolder: String { Node.leaseHolder(forNodeID: id) }

    public static func leaseHolder(forNodeID id: String) -> String { "node:\(id)" }

    /// Derives the state from the flags, the last heartbeat and whether the node holds a job.
    public func state(now: Date, heartbeatTimeoutSeconds: Double, holdsJobs: Bool) -> NodeState {
        if disabled { return .disabled }
        guard let last = lastHeartbeatAt, now.timeIntervalSince(last) <= heartbeatTimeoutSeconds else { return .offline }
        return holdsJobs ? .busy : .online
    }
}
