import Foundation

/// `GET /api/v1/queue/stats`: jobs per state now, the last hour's throughput and the nodes
/// waiting for work. Shared by the server that encodes it and the clients that read it.
public struct QueueStats: Codable, Sendable, Hashable {
    public var queued: Int
    public var running: Int
    public var succeeded: Int
    public var failed: Int
    public var cancelled: Int
    public var lastHour: Throughput
    /// Nodes waiting in a long-poll claim; nil from servers that do not report it.
    public var waitingNodes: Int?
    /// Seconds of audio transcribed in each of the last 24 hours, oldest first; nil from servers
    /// that do not report it.
    public var hourlyAudioSeconds: [Double]?

    public struct Throughput: Codable, Sendable, Hashable {
        public var jobsSucceeded: Int
        public var audioSeconds: Double

        public init(jobsSucceeded: Int, audioSeconds: Double) {
            self.jobsSucceeded = jobsSucceeded
            self.audioSeconds = audioSeconds
        }
    }

    public init(
        queued: Int, running: Int, succeeded: Int, failed: Int, cancelled: Int, lastHour: Throughput, waitingNodes: Int? = nil
    ) {
        self.queued = queued
        self.running = running
        self.succeeded = succeeded
        self.failed = failed
        self.cancelled = cancelled
        self.lastHour = lastHour
        self.waitingNodes = waitingNodes
    }
}
