import Foundation

/// A person who signs in. The password's bcrypt hash stays in the store; it is never part of this.
public struct UserAccount: Codable, Sendable, Hashable {
    public var id: String
    public var username: String
    public var role: Role
    public var createdAt: Date
    public var lastLoginAt: Date?

    public init(id: String = UUID().uuidString.lowercased(), username: String, role: Role, createdAt: Date, lastLoginAt: Date? = nil) {
        self.id = id
        self.username = username
        self.role = role
        self.createdAt = createdAt
        self.lastLoginAt = lastLoginAt
    }

    /// Usernames: 1–64 of letters, digits, `.`, `_`, `-`, `@`; compared exactly.
    public static func validate(username: String) throws(AccountInputError) {
        let allowed = username.unicodeScalars.allSatisfy {
            ($0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0))) || ".-_@".unicodeScalars.contains($0)
        }
        guard (1...64).contains(username.count), allowed else {
            throw AccountInputError(code: "invalid_username", message: "a username is 1-64 letters, digits, '.', '_', '-' or '@'")
        }
    }

    /// Passwords: 10–1024 characters. Long passphrases are welcome; bcrypt reads the first 72
    /// bytes, so longer ones are pre-hashed by the server, not cut.
    public static func validate(password: String) throws(AccountInputError) {
        guard password.count >= 10 else {
            throw AccountInputError(code: "weak_password", message: "a password needs at least 10 characters")
        }
        guard password.utf8.count <= 1024 else {
            throw AccountInputError(code: "invalid_password", message: "a password is at most 1024 bytes")
        }
    }
}

/// A user's API key as listed: the secret itself is shown once, at creation, and stored hashed.
public struct APIKeyRecord: Codable, Sendable, Hashable {
    public var id: String
    public var userId: String
    public var name: String
    public var scopes: [AccessScope]
    /// The key's first characters, so a person can tell their keys apart.
    public var prefix: String
    public var createdAt: Date
    public var lastUsedAt: Date?
    public var revokedAt: Date?

    public init(
        id: String = UUID().uuidString.lowercased(), userId: String, name: String, scopes: [AccessScope], prefix: String, createdAt: Date,
        lastUsedAt: Date? = nil, revokedAt: Date? = nil
    ) {
        self.id = id
        self.userId = userId
        self.name = name
        self.scopes = scopes
        self.prefix = prefix
        self.createdAt = createdAt
        self.lastUsedAt = lastUsedAt
        self.revokedAt = revokedAt
    }

    public var isRevoked: Bool { revokedAt != nil }
}

/// A browser session: the cookie's token is stored hashed; the CSRF token is sent back by the page
/// with every state-changing request.
public struct UserSession: Sendable, Hashable {
    public var tokenHash: String
    public var userId: String
    public var csrfToken: String
    public var createdAt: Date
    public var expiresAt: Date

    public init(tokenHash: String, userId: String, csrfToken: String, createdAt: Date, expiresAt: Date) {
        self.tokenHash = tokenHash
        self.userId = userId
        self.csrfToken = csrfToken
        self.createdAt = createdAt
        self.expiresAt = expiresAt
    }
}
