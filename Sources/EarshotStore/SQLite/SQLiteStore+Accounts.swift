import EarshotCore
import Foundation
import GRDB

extension SQLiteStore {
    public func userCount() async throws -> Int {
        try await pool.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM users") ?? 0 }
    }

    public func createUser(_ user: UserAccount, passwordHash: String, audit: AuditEventData) async throws -> UserAccount {
        try await pool.write { db in
            if try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM users WHERE username = ?)", arguments: [user.username]) == true {
                throw StoreError.duplicateUsername(user.username)
            }
            try db.execute(
                sql: "INSERT INTO users (id, username, role, password_hash, created_at) VALUES (?, ?, ?, ?, ?)",
                arguments: [user.id, user.username, user.role.rawValue, passwordHash, user.createdAt.timeIntervalSince1970]
            )
            try SQLiteEvents.append(db, .audit(.auditUserCreated, audit), now: user.createdAt)
            return try Self.requireUser(db, id: user.id)
        }
    }

    public func user(id: String) async throws -> UserAccount {
        try await pool.read { db in try Self.requireUser(db, id: id) }
    }

    public func credentials(username: String) async throws -> (user: UserAccount, passwordHash: String)? {
        try await pool.read { db in
            try Row.fetchOne(db, sql: "SELECT \(Self.userColumns), password_hash FROM users WHERE username = ?", arguments: [username])
                .map { (Self.user(from: $0), $0[5]) }
        }
    }

    public func users() async throws -> [UserAccount] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: "SELECT \(Self.userColumns) FROM users ORDER BY username").map(Self.user(from:))
        }
    }

    public func updateUser(_ id: String, role: Role?, passwordHash: String?, audit: AuditEventData, now: Date) async throws -> UserAccount {
        try await pool.write { db in
            let user = try Self.requireUser(db, id: id)
            if let role {
                if user.role == .admin, role != .admin, try Self.adminCount(db) <= 1 { throw StoreError.lastAdmin }
                try db.execute(sql: "UPDATE users SET role = ? WHERE id = ?", arguments: [role.rawValue, id])
            }
            if let passwordHash {
                try db.execute(sql: "UPDATE users SET password_hash = ? WHERE id = ?", arguments: [passwordHash, id])
                try db.execute(sql: "DELETE FROM sessions WHERE user_id = ?", arguments: [id])
            }
            try SQLiteEvents.append(db, .audit(.auditUserUpdated, audit), now: now)
            return try Self.requireUser(db, id: id)
        }
    }

    public func deleteUser(_ id: String, audit: AuditEventData, now: Date) async throws {
        try await pool.write { db in
            let user = try Self.requireUser(db, id: id)
            if user.role == .admin, try Self.adminCount(db) <= 1 { throw StoreError.lastAdmin }
            try db.execute(sql: "DELETE FROM users WHERE id = ?", arguments: [id])
            try SQLiteEvents.append(db, .audit(.auditUserDeleted, audit), now: now)
        }
    }

    public func createAPIKey(_ key: APIKeyRecord, keyHash: String, audit: AuditEventData) async throws -> APIKeyRecord {
        try await pool.write { db in
            _ = try Self.requireUser(db, id: key.userId)
            try db.execute(sql: """
                INSERT INTO api_keys (id, user_id, name, scopes, prefix, key_hash, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)
                """, arguments: [
                    key.id, key.userId, key.name, AccountRows.scopes(key.scopes), key.prefix, keyHash, key.createdAt.timeIntervalSince1970,
                ])
            try SQLiteEvents.append(db, .audit(.auditKeyCreated, audit), now: key.createdAt)
            return try Self.requireAPIKey(db, id: key.id)
        }
    }

    public func apiKeys(userId: String?) async throws -> [APIKeyRecord] {
        try await pool.read { db in
            let filter = userId == nil ? "" : "WHERE user_id = ?"
            return try Row.fetchAll(
                db, sql: "SELECT \(Self.keyColumns) FROM api_keys \(filter) ORDER BY created_at DESC, id",
                arguments: StatementArguments(userId.map { [$0] } ?? [])
            ).map(Self.apiKey(from:))
        }
    }

    public func apiKey(id: String) async throws -> APIKeyRecord {
        try await pool.read { db in try Self.requireAPIKey(db, id: id) }
    }

    public func apiKey(keyHash: String) async throws -> (key: APIKeyRecord, user: UserAccount)? {
        try await pool.read { db in
            guard let keyRow = try db.fetchOneCached(
                sql: "SELECT \(Self.keyColumns) FROM api_keys WHERE key_hash = ?", arguments: [keyHash]
            ) else { return nil }
            let key = Self.apiKey(from: keyRow)
            return (key, try Self.requireUser(db, id: key.userId))
        }
    }

    public func revokeAPIKey(_ id: String, audit: AuditEventData, now: Date) async throws -> APIKeyRecord {
        try await pool.write { db in
            _ = try Self.requireAPIKey(db, id: id)
            try db.execute(sql: "UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL", arguments: [now.timeIntervalSince1970, id])
            if db.changesCount > 0 { try SQLiteEvents.append(db, .audit(.auditKeyRevoked, audit), now: now) }
            return try Self.requireAPIKey(db, id: id)
        }
    }

    public func markAPIKeyUsed(_ id: String, now: Date) async throws {
        try await pool.write { db in
            try db.executeCached(sql: "UPDATE api_keys SET last_used_at = ? WHERE id = ?", arguments: [now.timeIntervalSince1970, id])
        }
    }

    public func startSession(_ session: UserSession, audit: AuditEventData) async throws {
        try await pool.write { db in
            let now = session.createdAt.timeIntervalSince1970
            try db.execute(sql: "DELETE FROM sessions WHERE expires_at <= ?", arguments: [now])
            try db.execute(sql: """
                INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, expires_at) VALUES (?, ?, ?, ?, ?)
                """, arguments: [session.tokenHash, session.userId, session.csrfToken, now, session.expiresAt.timeIntervalSince1970])
            try db.execute(sql: "UPDATE users SET last_login_at = ? WHERE id = ?", arguments: [now, session.userId])
            try SQLiteEvents.append(db, .audit(.auditLogin, audit), now: session.createdAt)
        }
    }

    public func session(tokenHash: String, now: Date) async throws -> (session: UserSession, user: UserAccount)? {
        try await pool.read { db in
            guard let row = try db.fetchOneCached(sql: """
                SELECT token_hash, user_id, csrf_token, created_at, expires_at FROM sessions WHERE token_hash = ? AND expires_at > ?
                """, arguments: [tokenHash, now.timeIntervalSince1970]) else { return nil }
            let session = UserSession(
                tokenHash: row[0], userId: row[1], csrfToken: row[2], createdAt: JobRow.date(row[3]), expiresAt: JobRow.date(row[4])
            )
            return (session, try Self.requireUser(db, id: session.userId))
        }
    }

    public func endSession(tokenHash: String, audit: AuditEventData, now: Date) async throws {
        try await pool.write { db in
            try db.execute(sql: "DELETE FROM sessions WHERE token_hash = ?", arguments: [tokenHash])
            if db.changesCount > 0 { try SQLiteEvents.append(db, .audit(.auditLogout, audit), now: now) }
        }
    }

    static let userColumns = "id, username, role, created_at, last_login_at"
    static let keyColumns = "id, user_id, name, scopes, prefix, created_at, last_used_at, revoked_at"

    static func adminCount(_ db: Database) throws -> Int {
        try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM users WHERE role = 'admin'") ?? 0
    }

    static func requireUser(_ db: Database, id: String) throws -> UserAccount {
        guard let row = try db.fetchOneCached(sql: "SELECT \(userColumns) FROM users WHERE id = ?", arguments: [id]) else {
            throw StoreError.userNotFound(id)
        }
        return user(from: row)
    }

    static func requireAPIKey(_ db: Database, id: String) throws -> APIKeyRecord {
        guard let row = try Row.fetchOne(db, sql: "SELECT \(keyColumns) FROM api_keys WHERE id = ?", arguments: [id]) else {
            throw StoreError.apiKeyNotFound(id)
        }
        return apiKey(from: row)
    }

    static func user(from row: Row) -> UserAccount {
        UserAccount(
            id: row[0], username: row[1], role: Role(rawValue: row[2]) ?? .viewer, createdAt: JobRow.date(row[3]),
            lastLoginAt: JobRow.optionalDate(row[4])
        )
    }

    static func apiKey(from row: Row) -> APIKeyRecord {
        APIKeyRecord(
            id: row[0], userId: row[1], name: row[2], scopes: AccountRows.scopes(row[3]), prefix: row[4], createdAt: JobRow.date(row[5]),
            lastUsedAt: JobRow.optionalDate(row[6]), revokedAt: JobRow.optionalDate(row[7])
        )
    }
}

/// Column encodings both stores share.
enum AccountRows {
    /// Scopes are stored as their names, space-separated, in a fixed order.
    static func scopes(_ scopes: [AccessScope]) -> String {
        AccessScope.allCases.filter(scopes.contains).map(\.rawValue).joined(separator: " ")
    }

    static func scopes(_ text: String) -> [AccessScope] {
        text.split(separator: " ").compactMap { AccessScope(rawValue: String($0)) }
    }
}
