/// What a route demands of its caller. Every route the server registers has one (a test fails
/// for a route without).
public enum AccessRule: String, Sendable, Hashable, CaseIterable {
    /// Anyone, signed in or not: health, the API document, signing in.
    case open
    /// Any signed-in user or user key, whatever its role or scopes: their own session and keys.
    case signedIn
    /// A user signed in with a browser session, not a key: changing their own password (a leaked
    /// key must not be enough to take the account).
    case passwordSession
    /// Reading jobs, transcripts, search, events and pages: viewers and up, keys with `jobs:read`.
    case read
    /// Changing jobs and transcripts (one's own, for members): members and admins, keys with `jobs:write`.
    case write
    /// Users, nodes, feeds, streams: admins, keys with `admin`.
    case admin
    /// The node protocol: node keys only (the route checks the key itself).
    case node
    /// The event WebSocket: readers, and nodes, which publish on it.
    case readOrNode
}

/// Who is calling, as the server resolved it from the request's credentials.
public enum Principal: Sendable, Hashable {
    /// No credentials.
    case anonymous
    /// A server on a loopback address with no accounts: the local user may do everything.
    case local
    /// The configured `admin_token`: an administrator's key without a user (node registration scripts).
    case adminToken
    /// A user, signed in with a browser session (`key == nil`, every right of the role) or an API key
    /// (the key's scopes, within the role).
    case user(UserAccount, key: APIKeyRecord?)
    /// A transcriber node, by its node key.
    case node(id: String)

    /// Whether this caller may use a route with `rule`. Node routes authenticate their key
    /// themselves, so no other principal passes ``AccessRule/node``.
    public func allows(_ rule: AccessRule) -> Bool {
        switch rule {
        case .open: return true
        case .node: return false
        case .signedIn:
            if case .user = self { return true }
            return self == .local
        case .passwordSession:
            if case .user(_, key: nil) = self { return true }
            return false
        case .read: return has(.jobsRead)
        case .readOrNode: return has(.jobsRead) || has(.node)
        case .write: return has(.jobsWrite)
        case .admin: return has(.admin)
        }
    }

    /// Whether the caller holds `scope`, through its role and (for keys) the key's scopes.
    public func has(_ scope: AccessScope) -> Bool {
        switch self {
        case .anonymous: return false
        case .local, .adminToken: return scope != .node
        case .node: return scope == .node
        case .user(let user, let key):
            guard Self.roleImplies(user.role, scope) else { return false }
            guard let key else { return true }
            return key.scopes.contains { Self.scopeImplies($0, scope) }
        }
    }

    /// The user behind the call, if any.
    public var user: UserAccount? {
        if case .user(let user, _) = self { return user }
        return nil
    }

    /// Whether the caller sees every job (admins, viewers, the local user) or only its own (members).
    public var seesAllJobs: Bool {
        guard let user else { return has(.jobsRead) }
        return user.role != .member
    }

    /// The user whose jobs (owned, or shared with them) lists and searches are limited to; nil for
    /// callers who see every job.
    public var jobsVisibleTo: String? {
        seesAllJobs ? nil : (user?.id ?? "")
    }

    /// Whether the caller may read a job (and its transcript) owned by `ownerId` and shared with the
    /// caller as `share` (nil: not shared with them). Jobs with no owner were made before accounts,
    /// or by the server itself (feeds, folders, streams); members do not see those.
    public func mayRead(jobOwnedBy ownerId: String?, share: ShareAccess? = nil) -> Bool {
        guard has(.jobsRead) else { return false }
        guard let user else { return true }
        return user.role != .member || ownerId == user.id || share != nil
    }

    /// Whether the caller may act on a job owned by `ownerId` as its owner does: cancel, retry,
    /// reset, delete, share.
    public func mayChange(jobOwnedBy ownerId: String?) -> Bool {
        guard has(.jobsWrite) else { return false }
        guard let user else { return true }
        return user.role == .admin || ownerId == user.id
    }

    /// Whether the caller may correct the transcript of a job owned by `ownerId` and shared with the
    /// caller as `share`: its owner and admins, and members it is shared with for editing.
    public func mayEdit(jobOwnedBy ownerId: String?, share: ShareAccess?) -> Bool {
        if mayChange(jobOwnedBy: ownerId) { return true }
        guard has(.jobsWrite), let user, user.role == .member else { return false }
        return share == .edit
    }

    /// A short name for logs and audit events: `user:<name>`, `key:<id>`, `admin-token`, `local`.
    public var actor: String {
        switch self {
        case .anonymous: "anonymous"
        case .local: "local"
        case .adminToken: "admin-token"
        case .node(let id): "node:\(id)"
        case .user(let user, let key): key.map { "user:\(user.username) key:\($0.id)" } ?? "user:\(user.username)"
        }
    }

    public static func roleImplies(_ role: Role, _ scope: AccessScope) -> Bool {
        switch scope {
        case .node: false
        case .admin: role == .admin
        case .jobsWrite: role != .viewer
        case .jobsRead: true
        }
    }

    public static func scopeImplies(_ held: AccessScope, _ wanted: AccessScope) -> Bool {
        switch held {
        case .admin: wanted != .node
        case .jobsWrite: wanted == .jobsWrite || wanted == .jobsRead
        case .jobsRead: wanted == .jobsRead
        case .node: wanted == .node
        }
    }
}
