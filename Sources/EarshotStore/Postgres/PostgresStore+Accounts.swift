import EarshotCore
import Foundation
import PostgresNIO

extension PostgresStore {
    public func userCount() async throws -> Int {
        try await read { session in try await session.scalar(Int.self, "SELECT COUNT(*) FROM users") ?? 0 }
    }

    public func createUser(_ user: UserAccount, passwordHash: String, audit: AuditEventData) async throws -> UserAccount {
        try await write { session in
            if try await session.scalar(Bool.self, "SELECT EXISTS (SELECT 1 FROM users WHERE username = ?)", [user.username]) == true {
                throw StoreError.duplicateUsername(user.username)
            }
            do {
                try await session.execute(
                    "INSERT INTO users (id, username, role, password_hash, created_at) VALUES (?, ?, ?, ?, ?)",
                    [user.id, user.username, user.role.rawValue, passwordHash, user.createdAt.timeIntervalSince1970]
                )
            } catch where Self.isUniqueViolation(error, on: "users_username_key") {
                throw StoreError.duplicateUsername(user.username)
            }
            _ = try session.append(.audit(.auditUserCreated, audit), now: user.createdAt)
            return try await Self.requireUser(session, id: user.id)
        }
    }

    public func user(id: String) async throws -> UserAccount {
        try await read { session in try await Self.requireUser(session, id: id) }
    }

    public func credentials(username: String) async throws -> (user: UserAccount, passwordHash: String)? {
        try await read { session in
            guard let row = try await session.row(
                "SELECT \(Self.userColumns), password_hash FROM users WHERE username = ?", [username]
            ) else { return nil }
            return (try Self.user(from: row), try row.get(5, as: String.self))
        }
    }

    public func users() async throws -> [UserAccount] {
        try await read { session in
            try await session.rows("SELECT \(Self.userColumns) FROM users ORDER BY username").map(Self.user(from:))
        }
    }

    public func updateUser(_ id: String, role: Role?, passwordHash: String?, audit: AuditEventData, now: Date) async throws -> UserAccount {
        try await write { session in
            // Admins are counted under a lock so two replicas cannot each demote one of the last two.
            try await session.lock("earshot:admins")
            let user = try await Self.requireUser(session, id: id)
            if let role {
                if user.role == .admin, role != .admin, try await Self.adminCount(session) <= 1 { throw StoreError.lastAdmin }
                try await session.execute("UPDATE users SET role = ? WHERE id = ?", [role.rawValue, id])
            }
            if let passwordHash {
                try await session.execute("UPDATE users SET password_hash = ? WHERE id = ?", [passwordHash, id])
                try await session.execute("DELETE FROM sessions WHERE user_id = ?", [id])
            }
            _ = try session.append(.audit(.auditUserUpdated, audit), now: now)
            return try await Self.requireUser(session, id: id)
        }
    }

    public func deleteUser(_ id: String, audit: AuditEventData, now: Date) async throws {
        try await write { session in
            try await session.lock("earshot:admins")
            let user = try await Self.requireUser(session, id: id)
            if user.role == .admin, try await Self.adminCount(session) <= 1 { throw StoreError.lastAdmin }
            try await session.execute("DELETE FROM users WHERE id = ?", [id])
            _ = try session.append(.audit(.auditUserDeleted, audit), now: now)
        }
    }

    public func createAPIKey(_ key: APIKeyRecord, keyHash: String, audit: AuditEventData) async throws -> APIKeyRecord {
        try await write { session in
            _ = try await Self.requireUser(session, id: key.userId)
            try await session.execute("""
                INSERT INTO api_keys (id, user_id, name, scopes, prefix, key_hash, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)
                """, [key.id, key.userId, key.name, AccountRows.scopes(key.scopes), key.prefix, keyHash, key.createdAt.timeIntervalSince1970])
            _ = try session.append(.audit(.auditKeyCreated, audit), now: key.createdAt)
            return try await Self.requireAPIKey(session, id: key.id)
        }
    }

    public func apiKeys(userId: String?) async throws -> [APIKeyRecord] {
        try await read { session in
            let rows = if let userId {
                try await session.rows("SELECT \(Self.keyColumns) FROM api_keys WHERE user_id = ? ORDER BY created_at DESC, id", [userId])
            } else {
                try await session.rows("SELECT \(Self.keyColumns) FROM api_keys ORDER BY created_at DESC, id")
            }
            return try rows.map(Self.apiKey(from:))
        }
    }

    public func apiKey(id: String) async throws -> APIKeyRecord {
        try await read { session in try await Self.requireAPIKey(session, id: id) }
    }

    public func apiKey(keyHash: String) async throws -> (key: APIKeyRecord, user: UserAccount)? {
        try await read { session in
            guard let row = try await session.row("SELECT \(Self.keyColumns) FROM api_keys WHERE key_hash = ?", [keyHash]) else { return nil }
            let key = try Self.apiKey(from: row)
            return (key, try await Self.requireUser(session, id: key.userId))
        }
    }

    public func revokeAPIKey(_ id: String, audit: AuditEventData, now: Date) async throws -> APIKeyRecord {
        try await write { session in
            _ = try await Self.requireAPIKey(session, id: id)
            let revoked = try await session.rows(
                "UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL RETURNING id", [now.timeIntervalSince1970, id]
            )
            if !revoked.isEmpty { _ = try session.append(.audit(.auditKeyRevoked, audit), now: now) }
            return try await Self.requireAPIKey(session, id: id)
        }
    }

    public func markAPIKeyUsed(_ id: String, now: Date) async throws {
        try await write { session in
            try await session.execute("UPDATE api_keys SET last_used_at = ? WHERE id = ?", [now.timeIntervalSince1970, id])
        }
    }

    public func startSession(_ userSession: UserSession, audit: AuditEventData) async throws {
        try await write { session in
            let now = userSession.createdAt.timeIntervalSince1970
            try await session.execute("DELETE FROM sessions WHERE expires_at <= ?", [now])
            try await session.execute("""
                INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, expires_at) VALUES (?, ?, ?, ?, ?)
                """, [userSession.tokenHash, userSession.userId, userSession.csrfToken, now, userSession.expiresAt.timeIntervalSince1970])
            try await session.execute("UPDATE users SET last_login_at = ? WHERE id = ?", [now, userSession.userId])
            _ = try session.append(.audit(.auditLogin, audit), now: userSession.createdAt)
        }
    }

    public func session(tokenHash: String, now: Date) async throws -> (session: UserSession, user: UserAccount)? {
        try await read { session in
            guard let row = try await session.row("""
                SELECT token_hash, user_id, csrf_token, created_at, expires_at FROM sessions WHERE token_hash = ? AND expires_at > ?
                """, [tokenHash, now.timeIntervalSince1970]) else { return nil }
            let found = UserSession(
                tokenHash: try row.get(0), userId: try row.get(1), csrfToken: try row.get(2), createdAt: JobRow.date(try row.get(3)),
                expiresAt: JobRow.date(try row.get(4))
            )
            return (found, try await Self.requireUser(session, id: found.userId))
        }
    }

    public func endSession(tokenHash: String, audit: AuditEventData, now: Date) async throws {
        try await write { session in
            let ended = try await session.rows("DELETE FROM sessions WHERE token_hash = ? RETURNING user_id", [tokenHash])
            if !ended.isEmpty { _ = try session.append(.audit(.auditLogout, audit), now: now) }
        }
    }

    static let userColumns = "id, username, role, created_at, last_login_at"
    static let keyColumns = "id, user_id, name, scopes, prefix, created_at, last_used_at, revoked_at"

    static func adminCount(_ session: PostgresSession) async throws -> Int {
        try await session.scalar(Int.self, "SELECT COUNT(*) FROM users WHERE role = 'admin'") ?? 0
    }

    static func requireUser(_ session: PostgresSession, id: String) async throws -> UserAccount {
        guard let row = try await session.row("SELECT \(userColumns) FROM users WHERE id = ?", [id]) else { throw StoreError.userNotFound(id) }
        return try user(from: row)
    }

    static func requireAPIKey(_ session: PostgresSession, id: String) async throws -> APIKeyRecord {
        guard let row = try await session.row("SELECT \(keyColumns) FROM api_keys WHERE id = ?", [id]) else { throw StoreError.apiKeyNotFound(id) }
        return try apiKey(from: row)
    }

    static func user(from row: PostgresRandomAccessRow) throws -> UserAccount {
        UserAccount(
            id: try row.get(0), username: try row.get(1), role: Role(rawValue: try row.get(2)) ?? .viewer, createdAt: JobRow.date(try row.get(3)),
            lastLoginAt: JobRow.optionalDate(try row.get(4))
        )
    }

    static func apiKey(from row: PostgresRandomAccessRow) throws -> APIKeyRecord {
        APIKeyRecord(
            id: try row.get(0), userId: try row.get(1), name: try row.get(2), scopes: AccountRows.scopes(try row.get(3, as: String.self)),
            prefix: try row.get(4), createdAt: JobRow.date(try row.get(5)), lastUsedAt: JobRow.optionalDate(try row.get(6)),
            revokedAt: JobRow.optionalDate(try row.get(7))
        )
    }
}
