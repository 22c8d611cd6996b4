import EarshotCore
import Foundation

/// `/account`: the signed-in person, their password and their API keys.
struct AccountView {
    struct KeyRow {
        var id: String
        var name: String
        var scopes: String
        var prefix: String
        var created: String
        var lastUsed: String
        var revoked: String?
    }
    struct ScopeOption { var name: String; var checked: Bool }

    var nav = NavState()
    var username: String
    var role: String
    /// Changing the password needs a browser session (never an API key).
    var canChangePassword: Bool
    var keys: [KeyRow]
    var scopes: [ScopeOption]

    init(user: UserAccount, viaSession: Bool, keys: [APIKeyRecord]) {
        username = user.username
        role = user.role.rawValue
        canChangePassword = viaSession
        self.keys = keys.map {
            KeyRow(
                id: $0.id, name: $0.name, scopes: $0.scopes.map(\.rawValue).joined(separator: " "), prefix: $0.prefix,
                created: WebFormat.date($0.createdAt), lastUsed: $0.lastUsedAt.map(WebFormat.date) ?? "never",
                revoked: $0.revokedAt.map(WebFormat.date)
            )
        }
        scopes = AccessScope.allCases.filter(user.role.grantableScopes.contains).map { ScopeOption(name: $0.rawValue, checked: $0 == .jobsRead) }
    }
}

/// `/users`: everyone who signs in (admins).
struct UsersView {
    struct UserRow {
        var id: String
        var username: String
        var roles: [RoleOption]
        var created: String
        var lastLogin: String
        var isMe: Bool
    }
    struct RoleOption { var name: String; var selected: Bool }

    var nav = NavState()
    var users: [UserRow]
    /// Without accounts, the first user created here turns them on.
    var accountsOff: Bool

    init(users: [UserAccount], me: String?, accountsOff: Bool) {
        self.accountsOff = accountsOff
        self.users = users.map { user in
            UserRow(
                id: user.id, username: user.username, roles: Role.allCases.map { RoleOption(name: $0.rawValue, selected: $0 == user.role) },
                created: WebFormat.date(user.createdAt), lastLogin: user.lastLoginAt.map(WebFormat.date) ?? "never", isMe: user.id == me
            )
        }
    }
}

/// The sharing section of a job's page: who else sees it, and (for its owner) the form.
struct ShareSectionView {
    struct Row { var username: String; var access: String }

    var shares: [Row]
    var canChange: Bool

    init(shares: [JobShare], canChange: Bool) {
        self.shares = shares.map { Row(username: $0.username, access: $0.access.rawValue) }
        self.canChange = canChange
    }
}
