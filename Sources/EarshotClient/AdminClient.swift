import EarshotCore
import Foundation
import NIOCore
import NIOHTTP1


/// The admin side of `/api/v1/nodes`, authenticated by the server's admin token.
public struct AdminClient: Sendable {
    /// The server, e.g. `http://127.0.0.1:8080`.
    public let baseURL: URL
    /// The admin token; nil for a server that has none (bound to loopback).
    public let token: String?
    let transport: HTTPTransport

    public init(baseURL: URL, token: String?) {
        self.baseURL = baseURL
        self.token = token
        self.transport = HTTPTransport(baseURL: baseURL, bearerToken: token)
    }

    /// Registers a node; the reply holds its API key, which the server never shows again.
    public func registerNode(name: String, priority: Int? = nil) async throws -> NodeRegistration {
        try await transport.send(
            .POST, "api/v1/nodes", json: NodeRegistrationRequest(name: name, priority: priority), decoding: NodeRegistration.self
        )
    }

    /// The queue's counts and recent throughput (`GET /api/v1/queue/stats`, needs no token).
    public func queueStats(timeout: Duration = .seconds(30)) async throws -> QueueStats {
        let (seconds, attoseconds) = timeout.components
        let amount = TimeAmount.nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
        return try await transport.send(.GET, "api/v1/queue/stats", timeout: amount, decoding: QueueStats.self)
    }

    /// Deletes a node; any job it holds is re-queued by the server.
    public func deleteNode(id: String) async throws {
        _ = try await transport.send(.DELETE, "api/v1/nodes/\(id)")
    }
}
