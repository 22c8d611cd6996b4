import EarshotCore
import Foundation
import GRDB

extension SQLiteStore {
    public func createNode(_ node: Node, keyHash: String) async throws -> Node {
        try await pool.write { db in
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
        try await pool.read { db in try Self.requireNode(db, id: id) }
    }

    public func node(keyHash: String) async throws -> Node? {
        try await pool.read { db in
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
        return try await pool.write { db in
            try db.executeCached(sql: "UPDATE nodes SET last_heartbeat_at = ?, capabilities = ? WHERE id = ?",
                           arguments: [now.timeIntervalSince1970, encoded, nodeID])
            return try Self.requireNode(db, id: nodeID)
        }
    }

    public func setNodeDisabled(_ id: String, disabled: Bool) async throws -> Node {
        try await pool.write { db in
            try db.executeCached(sql: "UPDATE nodes SET disabled = ? WHERE id = ?", arguments: [disabled, id])
            return try Self.requireNode(db, id: id)
        }
    }

    public func deleteNode(_ id: String) async throws {
        try await pool.write { db in
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
