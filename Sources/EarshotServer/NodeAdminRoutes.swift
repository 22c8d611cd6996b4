import EarshotCore
import EarshotStore
import Foundation
import Hummingbird
import Logging

/// `/api/v1/nodes`: register, list, disable/enable and delete transcriber nodes (admin).
struct NodeAdminRoutes: Sendable {
    let store: any Store
    let configuration: ServerConfiguration

    func register(on group: RouterGroup<EarshotRequestContext>) {
        group.post("nodes") { request, context in
            let body = try await decodeJSON(NodeRegistrationRequest.self, from: request, context: context)
            let name = body.name.trimmingCharacters(in: .whitespaces)
            guard InputRules.isName(name) else {
                throw APIError.badRequest("invalid_name", "name must be 1-64 letters, digits, '-', '_' or '.'")
            }
            let priority = body.priority ?? 0
            guard (-1000...1000).contains(priority) else { throw APIError.badRequest("invalid_priority", "priority must be in -1000...1000") }
            let key = NodeKeys.generate()
            let node = Node(
                id: UUID().uuidString.lowercased(), name: name, priority: priority, disabled: false, createdAt: Date(),
                lastHeartbeatAt: nil, capabilities: nil, jobsDone: 0, audioSecondsDone: 0
            )
            let created = try await store.createNode(node, keyHash: NodeKeys.hash(key))
            context.logger.notice("node registered", metadata: ["node_id": "\(created.id)", "name": "\(created.name)"])
            try await AuditTrail.record(.auditNodeChanged, store: store, context: context, target: "node:\(created.id)", detail: "registered \(created.name)")
            return try jsonResponse(NodeRegistration(nodeId: created.id, name: created.name, apiKey: key), status: .created)
        }
        group.get("nodes") { request, _ in
            let now = Date()
            var responses: [NodeResponse] = []
            for node in try await store.nodes() {
                let running = try await store.runningJobs(heldBy: node.leaseHolder)
                responses.append(NodeResponse(node, runningJobs: running, now: now, heartbeatTimeoutSeconds: configuration.nodeHeartbeatTimeoutSeconds))
            }
            return try jsonResponse(NodeListResponse(nodes: responses))
        }
        group.get("nodes/{node_id}") { request, context in
            return try await respond(with: try await store.node(id: try nodeID(context)))
        }
        group.post("nodes/{node_id}/disable") { _, context in
            let node = try await store.setNodeDisabled(try nodeID(context), disabled: true)
            try await AuditTrail.record(.auditNodeChanged, store: store, context: context, target: "node:\(node.id)", detail: "disabled")
            return try await respond(with: node)
        }
        group.post("nodes/{node_id}/enable") { _, context in
            let node = try await store.setNodeDisabled(try nodeID(context), disabled: false)
            try await AuditTrail.record(.auditNodeChanged, store: store, context: context, target: "node:\(node.id)", detail: "enabled")
            return try await respond(with: node)
        }
        group.post("nodes/{node_id}/test") { request, context in
            return try jsonResponse(try await test(try await store.node(id: try nodeID(context))))
        }
        group.delete("nodes/{node_id}") { _, context in
            let id = try nodeID(context)
            try await store.deleteNode(id)
            try await AuditTrail.record(.auditNodeChanged, store: store, context: context, target: "node:\(id)", detail: "deleted")
            return Response(status: .noContent)
        }
    }

    /// Work is pulled, so the server cannot call a node; "test" answers whether the node could
    /// take a job now, from its last heartbeat, and why not.
    private func test(_ node: Node) async throws -> NodeTestResult {
        let now = Date()
        let running = try await store.runningJobs(heldBy: node.leaseHolder)
        let state = node.state(now: now, heartbeatTimeoutSeconds: configuration.nodeHeartbeatTimeoutSeconds, holdsJobs: !running.isEmpty)
        let age = node.lastHeartbeatAt.map { now.timeIntervalSince($0) }
        let reason: String? = switch state {
        case .disabled: "the node is disabled"
        case .offline: age.map { "no heartbeat for \(Int($0)) s (timeout \(Int(configuration.nodeHeartbeatTimeoutSeconds)) s)" } ?? "the node has never sent a heartbeat"
        case .busy where (node.capabilities?.freeSlots ?? 0) == 0: "all of the node's slots are busy"
        case .online where (node.capabilities?.models ?? []).isEmpty: "the node advertises no models"
        default: nil
        }
        return NodeTestResult(
            ok: reason == nil, state: state, lastHeartbeatAgeSeconds: age.map { ($0 * 10).rounded() / 10 },
            models: node.capabilities?.models ?? [], freeSlots: node.capabilities?.freeSlots ?? 0, reason: reason
        )
    }

    private func respond(with node: Node) async throws -> Response {
        let running = try await store.runningJobs(heldBy: node.leaseHolder)
        return try jsonResponse(NodeResponse(node, runningJobs: running, now: Date(), heartbeatTimeoutSeconds: configuration.nodeHeartbeatTimeoutSeconds))
    }

    private func nodeID(_ context: some RequestContext) throws -> String {
        let text = context.parameters.get("node_id") ?? ""
        guard let uuid = UUID(uuidString: text) else { throw APIError.badRequest("invalid_id", "'\(text.prefix(64))' is not a node id") }
        return uuid.uuidString.lowercased()
    }
}

/// Decodes a JSON body of at most 1 MiB, answering 400 with the decoder's reason.
/// `whenEmpty` answers a request without a body, for bodies whose every field is optional.
func decodeJSON<T: Decodable>(
    _ type: T.Type, from request: Request, context: some RequestContext, limit: Int = 1 << 20, whenEmpty: T? = nil
) async throws -> T {
    let buffer: ByteBuffer
    do {
        buffer = try await request.body.collect(upTo: limit)
    } catch {
        throw APIError(.contentTooLarge, "payload_too_large", "the JSON body exceeds \(limit) bytes")
    }
    if let whenEmpty, buffer.readableBytes == 0 { return whenEmpty }
    do {
        return try EarshotJSON.decoder().decode(T.self, from: Data(buffer.readableBytesView))
    } catch {
        throw APIError.badRequest("invalid_json", "the body is not a valid \(T.self): \(error)")
    }
}
