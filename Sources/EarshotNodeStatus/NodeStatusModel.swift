import EarshotCore
import Foundation
import Synchronization

/// The node's live state as the status page shows it. The node sets the identity and settings at
/// start, the heartbeat service records each beat's outcome, and the slots are read on demand
/// (from the workers) so progress is current at every render without anyone pushing updates.
public final class NodeStatusModel: Sendable {
    /// Identity and settings fixed at start.
    public let name: String
    public let nodeID: String
    public let serverURL: URL
    public let settings: NodeSettings
    public let startedAt: Date
    /// The node's key, sent when reading the server's queue statistics (never shown).
    let serverKey: String?

    private struct Heartbeat {
        var at: Date?
        var state: NodeState?
        var error: String?
    }

    private let heartbeat = Mutex(Heartbeat())
    private let slotReader: Mutex<@Sendable () -> [SlotStatus]>

    public init(name: String, nodeID: String, serverURL: URL, serverKey: String? = nil, settings: NodeSettings, startedAt: Date = Date()) {
        self.serverKey = serverKey
        self.name = name
        self.nodeID = nodeID
        self.serverURL = serverURL
        self.settings = settings
        self.startedAt = startedAt
        let slots = settings.slots
        slotReader = Mutex({ (1...max(1, slots)).map { SlotStatus(index: $0) } })
    }

    /// Sets where the slots' current jobs come from; called at every render, so keep it cheap.
    public func setSlotReader(_ reader: @escaping @Sendable () -> [SlotStatus]) {
        slotReader.withLock { $0 = reader }
    }

    /// Records a heartbeat's outcome; fits `NodeHeartbeatService`'s `onBeat`.
    public func recordHeartbeat(_ result: Result<NodeHeartbeatReply, any Error>, at date: Date = Date()) {
        heartbeat.withLock { beat in
            beat.at = date
            switch result {
            case .success(let reply):
                beat.state = reply.state
                beat.error = nil
            case .failure(let error):
                beat.error = String(describing: error)
            }
        }
    }

    /// The current status and slots.
    public func connectionStatus(now: Date = Date()) -> NodeConnectionStatus {
        let beat = heartbeat.withLock { $0 }
        return NodeConnectionStatus(
            name: name, nodeId: nodeID, serverUrl: serverURL.absoluteString,
            connected: beat.at != nil && beat.error == nil, lastHeartbeatAt: beat.at, serverState: beat.state?.rawValue,
            lastHeartbeatError: beat.error, startedAt: startedAt, uptimeSeconds: max(0, now.timeIntervalSince(startedAt))
        )
    }

    /// What each slot is doing right now.
    public func slots() -> [SlotStatus] {
        // Copy the reader out so the workers are not read under this lock.
        let reader = slotReader.withLock { $0 }
        return reader()
    }
}
