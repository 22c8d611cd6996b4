import EarshotCore
import Foundation
import PostgresNIO

extension PostgresStore {
    /// The `nodes` columns ``node(from:)`` reads, in its order.
    static let nodeColumns = "id, name, priority, disabled, created_at, last_heartbeat_at, capabilities, jobs_done, audio_seconds_done"

    public func createNode(_ node: Node, keyHash: String) async throws -> Node {
        try await write { session in
            if try await session.scalar(Bool.self, "SELECT EXISTS (SELECT 1 FROM nodes WHERE name = ?)", [node.name]) == true {
                throw StoreError.duplicateNodeName(node.name)
            }
            do {
                try await session.execute("""
                    INSERT INTO nodes (id, name, key_hash, priority, disabled, created_at) VALUES (?, ?, ?, ?, ?, ?)
                    """, [node.id, node.name, keyHash, node.priority, node.disabled, node.createdAt.timeIntervalSince1970])
            } catch where Self.isUniqueViolation(error, on: "nodes_name_key") {
                // Another replica registered the name between the check and the insert.
                throw StoreError.duplicateNodeName(node.name)
            }
            try session.append(NewEvent(
                type: .nodeRegistered, source: "server", data: .node(NodeEventData(nodeId: node.id, name: node.name))
            ), now: node.createdAt)
            return try await Self.requireNode(session, id: node.id)
        }
    }

    public func node(id: String) async throws -> Node {
        try await read { session in try await Self.requireNode(session, id: id) }
    }

    public func node(keyHash: String) async throws -> Node? {
        try await read { session in
            try await session.row("SELECT \(Self.nodeColumns) FROM nodes WHERE key_hash = ?", [keyHash]).map(Self.node(from:))
        }
    }

    public func nodes() async throws -> [Node] {
        try await read { session in
            try await session.rows("SELECT \(Self.nodeColumns) FROM nodes ORDER BY priority, name").map(Self.node(from:))
        }
    }

    public func recordHeartbeat(nodeID: String, capabilities: NodeCapabilities, now: Date) async throws -> Node {
        let encoded = String(decoding: try JSONEncoder().encode(capabilities), as: UTF8.self)
        return try await write { session in
            // The UPDATE locks the node's row until commit, so of two simultaneous heartbeats the
            // second sees the first's announced_online and only one appends node.online.
            guard let row = try await session.row(
                "UPDATE nodes SET last_heartbeat_at = ?, capabilities = ? WHERE id = ? RETURNING \(Self.nodeColumns)",
                [now.timeIntervalSince1970, encoded, nodeID]
            ) else { throw StoreError.nodeNotFound(nodeID) }
            let node = try Self.node(from: row)
            let announced = try await session.rows(
                "UPDATE nodes SET announced_online = true WHERE id = ? AND NOT announced_online RETURNING id", [nodeID]
            )
            if !announced.isEmpty {
                try session.append(NewEvent(
                    type: .nodeOnline, source: Node.leaseHolder(forNodeID: nodeID), data: .node(NodeEventData(nodeId: nodeID, name: node.name))
                ), now: now)
            }
            return node
        }
    }

    public func markSilentNodesOffline(silentSince: Date, now: Date) async throws -> [String] {
        try await write { session in
            // One statement: a heartbeat racing it either commits first (the node no longer
            // matches when its row is re-checked) or waits and then announces the node again.
            let rows = try await session.rows("""
                UPDATE nodes SET announced_online = false
                WHERE announced_online AND (last_heartbeat_at IS NULL OR last_heartbeat_at < ?)
                RETURNING id, name
                """, [silentSince.timeIntervalSince1970])
            var ids: [String] = []
            for row in rows {
                let id = try row.get(0, as: String.self)
                try session.append(NewEvent(
                    type: .nodeOffline, source: "server", data: .node(NodeEventData(nodeId: id, name: try row.get(1)))
                ), now: now)
                ids.append(id)
            }
            return ids
        }
    }

    public func setNodeDisabled(_ id: String, disabled: Bool) async throws -> Node {
        try await write { session in
            guard let row = try await session.row("UPDATE nodes SET disabled = ? WHERE id = ? RETURNING \(Self.nodeColumns)", [disabled, id]) else {
                throw StoreError.nodeNotFound(id)
            }
            return try Self.node(from: row)
        }
    }

    public func deleteNode(_ id: String) async throws {
        try await write { session in
            guard try await session.row("DELETE FROM nodes WHERE id = ? RETURNING id", [id]) != nil else { throw StoreError.nodeNotFound(id) }
        }
    }

    static func requireNode(_ session: PostgresSession, id: String) async throws -> Node {
        guard let row = try await session.row("SELECT \(nodeColumns) FROM nodes WHERE id = ?", [id]) else {
            throw StoreError.nodeNotFound(id)
        }
        return try node(from: row)
    }

    /// A row selected with ``nodeColumns``.
    static func node(from row: PostgresRandomAccessRow) throws -> Node {
        let capabilities = try row.get(6, as: String?.self)
        return Node(
            id: try row.get(0), name: try row.get(1), priority: try row.get(2), disabled: try row.get(3),
            createdAt: JobRow.date(try row.get(4)), lastHeartbeatAt: JobRow.optionalDate(try row.get(5)),
            capabilities: capabilities.flatMap { try? JSONDecoder().decode(NodeCapabilities.self, from: Data($0.utf8)) },
            jobsDone: try row.get(7), audioSecondsDone: try row.get(8)
        )
    }

    /// Whether `error` is PostgreSQL refusing a duplicate in the unique constraint `constraint`
    /// (named by PostgreSQL's default, `<table>_<column>_key`). Only that constraint is mapped to
    /// a duplicate-name error: a clash elsewhere (a primary key, a key hash) is another fault,
    /// reported as it is, as the SQLite store does.
    static func isUniqueViolation(_ error: any Error, on constraint: String) -> Bool {
        guard let error = error as? PSQLError else { return false }
        return error.sqlState == PostgresErrorCode.uniqueViolation && error.serverInfo?[.constraintName] == constraint
    }
}
