import EarshotCore
import Foundation
import GRDB

extension SQLiteStore {
    public func createNode(_ node: Node, keyHash: String) async throws -> Node {
        try writeNow { db in
            if try Bool.fetchOne(db.cachedStatement(sql: "SELECT EXISTS (SELECT 1 FROM nodes WHERE name = ?)"), arguments: [node.name]) == true {
                throw StoreError.duplicateNodeName(node.name)
            }
            try db.executeCached(sql: """
                INSERT INTO nodes (id, name, key_hash, priority, disabled, created_at) VALUES (?, ?, ?, ?, ?, ?)
                """, arguments: [node.id, node.name, keyHash, node.priority, node.disabled, node.createdAt.timeIntervalSince1970])
            try SQLiteEvents.append(db, NewEvent(
                type: .nodeRegistered, source: "server", data: .node(NodeEventData(nodeId: node.id, name: node.name))
            ), now: node.createdAt)
            return try Self.requireNode(db, id: node.id)
        }
    }

    public func node(id: String) async throws -> Node {
        try readNow { db in try Self.requireNode(db, id: id) }
    }

    public func node(keyHash: String) async throws -> Node? {
        try readNow { db in
            try db.fetchOneCached(sql: "SELECT * FROM nodes WHERE key_hash = ?", arguments: [keyHash]).map(Self.node(from:))
        }
    }

    public func nodes() async throws -> [Node] {
        try await pool.read { db in
            try db.fetchAllCached(sql: "SELECT * FROM nodes ORDER BY priority, name").map(Self.node(from:))
        }
    }

    public func recordHeartbeat(nodeID: String, capabilities: NodeCapabilities, now: Date) async throws -> Node {
        let encoded = String(decoding: try JSONEncoder().encode(capabilities), as: UTF8.self)
        return try writeNow { db in
            try db.executeCached(sql: "UPDATE nodes SET last_heartbeat_at = ?, capabilities = ? WHERE id = ?",
                           arguments: [now.timeIntervalSince1970, encoded, nodeID])
            let node = try Self.requireNode(db, id: nodeID)
            try db.executeCached(sql: "UPDATE nodes SET announced_online = 1 WHERE id = ? AND announced_online = 0", arguments: [nodeID])
            if db.changesCount > 0 {
                try SQLiteEvents.append(db, NewEvent(
                    type: .nodeOnline, source: Node.leaseHolder(forNodeID: nodeID), data: .node(NodeEventData(nodeId: nodeID, name: node.name))
                ), now: now)
            }
            return node
        }
    }

    public func markSilentNodesOffline(silentSince: Date, now: Date) async throws -> [String] {
        try await pool.write { db in
            let rows = try db.fetchAllCached(sql: """
                UPDATE nodes SET announced_online = 0
                WHERE announced_online = 1 AND (last_heartbeat_at IS NULL OR last_heartbeat_at < ?)
                RETURNING id, name
                """, arguments: [silentSince.timeIntervalSince1970])
            for row in rows {
                try SQLiteEvents.append(db, NewEvent(
                    type: .nodeOffline, source: "server", data: .node(NodeEventData(nodeId: row["id"], name: row["name"]))
                ), now: now)
            }
            return rows.map { $0["id"] }
        }
    }

    public func setNodeDisabled(_ id: String, disabled: Bool) async throws -> Node {
        try writeNow { db in
            try db.executeCached(sql: "UPDATE nodes SET disabled = ? WHERE id = ?", arguments: [disabled, id])
            return try Self.requireNode(db, id: id)
        }
    }

    public func deleteNode(_ id: String) async throws {
        try writeNow { db in
            _ = try Self.requireNode(db, id: id)
            try db.executeCached(sql: "DELETE FROM nodes WHERE id = ?", arguments: [id])
        }
    }

    static func requireNode(_ db: Database, id: String) throws -> Node {
        guard let row = try db.fetchOneCached(sql: "SELECT * FROM nodes WHERE id = ?", arguments: [id]) else {
            throw StoreError.nodeNotFound(id)
        }
        return node(from: row)
    }

    static func node(from row: Row) -> Node {
        let capabilities: String? = row["capabilities"]
        return Node(
            id: row["id"], name: row["name"], priority: row["priority"], disabled: row["disabled"],
            createdAt: JobRow.date(row["created_at"]), lastHeartbeatAt: JobRow.optionalDate(row["last_heartbeat_at"]),
            capabilities: capabilities.flatMap { try? JSONDecoder().decode(NodeCapabilities.self, from: Data($0.utf8)) },
            jobsDone: row["jobs_done"], audioSecondsDone: row["audio_seconds_done"]
        )
    }
}
