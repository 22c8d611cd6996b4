import EarshotCore
import EarshotStore
import Foundation
import HTTPTypes
import Hummingbird

/// `/api/v1/setup`, `/api/v1/session`, `/api/v1/users`, `/api/v1/keys`: the first admin, signing in and
/// out, users (admins), and each user's API keys.
struct AccountRoutes: Sendable {
    let gate: AccountGate
    var store: any Store { gate.store }

    func register(on group: RouterGroup<EarshotRequestContext>) {
        group.post("setup") { request, context in try await setup(request, context: context) }
        group.post("session") { request, context in try await signIn(request, context: context) }
        group.get("session") { _, context in try jsonResponse(SessionResponse(context: context, gate: gate)) }
        group.delete("session") { _, context in try await signOut(context: context) }
        group.post("session/password") { request, context in try await changeOwnPassword(request, context: context) }

        group.get("users") { _, _ in try jsonResponse(UserList(users: try await store.users())) }
        group.post("users") { request, context in try await createUser(request, context: context) }
        group.get("users/{id}") { _, context in try jsonResponse(try await store.user(id: try Self.id(context))) }
        group.patch("users/{id}") { request, context in try await updateUser(request, context: context) }
        group.delete("users/{id}") { _, context in
            let id = try Self.id(context)
            try await store.deleteUser(id, audit: audit(context, target: "user:\(id)"), now: Date())
            return Response(status: .noContent)
        }

        group.get("keys") { request, context in try await listKeys(request, context: context) }
        group.post("keys") { request, context in try await createKey(request, context: context) }
        group.delete("keys/{id}") { _, context in try await revokeKey(context: context) }
    }

    // MARK: Signing in

    private func setup(_ request: Request, context: EarshotRequestContext) async throws -> Response {
        let body = try await decodeJSON(SetupRequest.self, from: request, context: context, limit: 16 * 1024)
        guard gate.setupPending else { throw APIError(.conflict, "setup_done", "the first admin exists; sign in instead") }
        try await limitSignIn(username: body.username, context: context)
        try UserAccount.validate(username: body.username)
        try UserAccount.validate(password: body.password)
        guard gate.consumeSetupToken(body.token) else {
            throw APIError(.unauthorized, "invalid_setup_token", "that is not the setup token printed at start")
        }
        let user = UserAccount(username: body.username, role: .admin, createdAt: Date())
        let created = try await store.createUser(
            user, passwordHash: try await gate.passwords.hash(body.password),
            audit: AuditEventData(actor: "setup-token", target: "user:\(user.id)", address: address(context))
        )
        gate.turnAccountsOn()
        return try await sessionResponse(for: created, context: context)
    }

    private func signIn(_ request: Request, context: EarshotRequestContext) async throws -> Response {
        let body = try await decodeJSON(SignInRequest.self, from: request, context: context, limit: 16 * 1024)
        try await limitSignIn(username: body.username, context: context)
        guard let found = try await store.credentials(username: body.username) else {
            try await gate.passwords.verifyNothing(body.password)
            throw try await failedSignIn(body.username, context: context)
        }
        guard try await gate.passwords.verify(body.password, hash: found.passwordHash) else {
            throw try await failedSignIn(body.username, context: context)
        }
        return try await sessionResponse(for: found.user, context: context)
    }

    private func limitSignIn(username: String, context: EarshotRequestContext) async throws {
        let wait = if let wait = await gate.loginLimiterByAddress.take([address(context)]) { wait } else {
            await gate.loginLimiterByName.take([String(username.prefix(64))])
        }
        if let wait {
            let seconds = max(1, Int(wait.rounded(.up)))
            throw APIError(
                .tooManyRequests, "rate_limited", "too many sign-in attempts; retry in \(seconds) s", headers: [.retryAfter: String(seconds)]
            )
        }
    }

    private func failedSignIn(_ username: String, context: EarshotRequestContext) async throws -> APIError {
        _ = try await store.appendEvent(
            .audit(.auditLoginFailed, AuditEventData(actor: String(username.prefix(64)), address: address(context))), now: Date()
        )
        return APIError(.unauthorized, "invalid_credentials", "wrong username or password")
    }

    private func sessionResponse(for user: UserAccount, context: EarshotRequestContext, status: HTTPResponse.Status = .created) async throws -> Response {
        let (cookie, session) = try await gate.startSession(for: user, address: address(context))
        var signedIn = context
        signedIn.principal = .user(user, key: nil)
        signedIn.session = session
        var response = try jsonResponse(SessionResponse(context: signedIn, gate: gate), status: status)
        response.headers[.setCookie] = cookie
        return response
    }

    private func signOut(context: EarshotRequestContext) async throws -> Response {
        var response = Response(status: .noContent)
        if let session = context.session {
            try await store.endSession(tokenHash: session.tokenHash, audit: audit(context, target: "user:\(session.userId)"), now: Date())
            response.headers[.setCookie] = gate.cookie("", maxAge: 0)
        }
        return response
    }

    /// A signed-in person changes their own password, proving they know the current one. Only from
    /// a browser session: a leaked API key must not be enough to take the account. Every session of
    /// the user ends; the caller gets a new one.
    private func changeOwnPassword(_ request: Request, context: EarshotRequestContext) async throws -> Response {
        // The route's rule (a browser session) makes both true.
        guard let user = context.principal.user, context.session != nil else {
            throw APIError(.forbidden, "session_required", "sign in with a password to change it; API keys cannot")
        }
        let body = try await decodeJSON(PasswordChangeRequest.self, from: request, context: context, limit: 16 * 1024)
        try await limitSignIn(username: user.username, context: context)
        guard let found = try await store.credentials(username: user.username),
              try await gate.passwords.verify(body.currentPassword, hash: found.passwordHash) else {
            throw APIError(.forbidden, "invalid_credentials", "the current password is not right")
        }
        try UserAccount.validate(password: body.newPassword)
        let updated = try await store.updateUser(
            user.id, role: nil, passwordHash: try await gate.passwords.hash(body.newPassword),
            audit: audit(context, target: "user:\(user.id)", detail: "own password"), now: Date()
        )
        return try await sessionResponse(for: updated, context: context, status: .ok)
    }

    // MARK: Users

    private func createUser(_ request: Request, context: EarshotRequestContext) async throws -> Response {
        let body = try await decodeJSON(NewUserRequest.self, from: request, context: context, limit: 16 * 1024)
        try UserAccount.validate(username: body.username)
        try UserAccount.validate(password: body.password)
        let role = try Self.role(body.role ?? "member")
        let user = UserAccount(username: body.username, role: role, createdAt: Date())
        let created = try await store.createUser(
            user, passwordHash: try await gate.passwords.hash(body.password), audit: audit(context, target: "user:\(user.id)", detail: "role \(role.rawValue)")
        )
        gate.turnAccountsOn()
        return try jsonResponse(created, status: .created)
    }

    private func updateUser(_ request: Request, context: EarshotRequestContext) async throws -> Response {
        let id = try Self.id(context)
        let body = try await decodeJSON(UserChangeRequest.self, from: request, context: context, limit: 16 * 1024)
        let role = try body.role.map(Self.role)
        if let password = body.password { try UserAccount.validate(password: password) }
        guard role != nil || body.password != nil else { throw APIError.badRequest("nothing_to_change", "send role and/or password") }
        let hash = if let password = body.password { try await gate.passwords.hash(password) } else { String?.none }
        let detail = [role.map { "role \($0.rawValue)" }, body.password.map { _ in "password" }].compactMap { $0 }.joined(separator: ", ")
        return try jsonResponse(
            try await store.updateUser(id, role: role, passwordHash: hash, audit: audit(context, target: "user:\(id)", detail: detail), now: Date())
        )
    }

    // MARK: Keys

    private func listKeys(_ request: Request, context: EarshotRequestContext) async throws -> Response {
        let all = request.uri.queryParameters.get("all") == "true"
        if all, !context.principal.has(.admin) { throw APIError(.forbidden, "forbidden", "only admins list everyone's keys") }
        let userId = all ? nil : context.principal.user?.id
        if !all, userId == nil { return try jsonResponse(KeyList(keys: [])) }
        return try jsonResponse(KeyList(keys: try await store.apiKeys(userId: userId)))
    }

    private func createKey(_ request: Request, context: EarshotRequestContext) async throws -> Response {
        guard case .user(let user, let usedKey) = context.principal else {
            throw APIError(.conflict, "no_user", "API keys belong to users: create a user and sign in first")
        }
        let body = try await decodeJSON(NewKeyRequest.self, from: request, context: context, limit: 16 * 1024)
        let name = body.name.trimmingCharacters(in: .whitespaces)
        guard (1...64).contains(name.count), !name.contains(where: \.isNewline) else {
            throw APIError.badRequest("invalid_name", "a key's name is 1-64 characters on one line")
        }
        let scopes = try AccessScope.parse(body.scopes)
        let beyondRole = scopes.subtracting(user.role.grantableScopes)
        guard beyondRole.isEmpty else {
            throw APIError(.forbidden, "scope_not_allowed", "a \(user.role.rawValue) cannot hold \(beyondRole.map(\.rawValue).sorted().joined(separator: ", "))")
        }
        // A key never mints a key stronger than itself.
        if let usedKey, let stronger = scopes.first(where: { wanted in !usedKey.scopes.contains { Principal.scopeImplies($0, wanted) } }) {
            throw APIError(.forbidden, "scope_not_allowed", "the key in use does not hold \(stronger.rawValue)")
        }
        let secret = AccountGate.userKeyPrefix + SecretTokens.random(bytes: 32)
        let record = APIKeyRecord(
            userId: user.id, name: name, scopes: AccessScope.allCases.filter(scopes.contains), prefix: String(secret.prefix(12)), createdAt: Date()
        )
        let created = try await store.createAPIKey(
            record, keyHash: NodeKeys.hash(secret),
            audit: audit(context, target: "key:\(record.id)", detail: scopes.map(\.rawValue).sorted().joined(separator: " "))
        )
        return try jsonResponse(CreatedKey(key: created, apiKey: secret), status: .created)
    }

    private func revokeKey(context: EarshotRequestContext) async throws -> Response {
        let id = try Self.id(context)
        let key = try await store.apiKey(id: id)
        guard context.principal.has(.admin) || key.userId == context.principal.user?.id else {
            // Someone else's key is not shown to exist.
            throw APIError(.notFound, "not_found", "API key \(id) not found")
        }
        return try jsonResponse(try await store.revokeAPIKey(id, audit: audit(context, target: "key:\(id)"), now: Date()))
    }

    // MARK: Helpers

    private func audit(_ context: EarshotRequestContext, target: String?, detail: String? = nil) -> AuditEventData {
        AuditEventData(actor: context.principal.actor, target: target, address: address(context), detail: detail)
    }

    private func address(_ context: EarshotRequestContext) -> String {
        context.clientAddress
    }

    static func id(_ context: EarshotRequestContext) throws -> String {
        let text = context.parameters.get("id") ?? ""
        guard (1...64).contains(text.count), text.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }) else {
            throw APIError.badRequest("invalid_id", "'\(text.prefix(64))' is not an id")
        }
        return text.lowercased()
    }

    static func role(_ text: String) throws -> Role {
        guard let role = Role(rawValue: text) else { throw APIError.badRequest("invalid_role", "role must be admin, member or viewer") }
        return role
    }
}

struct SetupRequest: Decodable {
    var token: String
    var username: String
    var password: String
}

struct SignInRequest: Decodable {
    var username: String
    var password: String
}

struct NewUserRequest: Decodable {
    var username: String
    var password: String
    var role: String?
}

struct PasswordChangeRequest: Decodable {
    var currentPassword: String
    var newPassword: String
}

struct UserChangeRequest: Decodable {
    var role: String?
    var password: String?
}

struct NewKeyRequest: Decodable {
    var name: String
    var scopes: [String]
}

struct UserList: Encodable {
    var users: [UserAccount]
}

struct KeyList: Encodable {
    var keys: [APIKeyRecord]
}

/// A new key: `api_key` is the secret, shown this once.
struct CreatedKey: Encodable {
    var key: APIKeyRecord
    var apiKey: String
}

/// `GET /api/v1/session`: who the caller is and how they got in; a browser session's CSRF token.
struct SessionResponse: Encodable {
    /// `open` (no accounts: the local user) or `accounts`.
    var mode: String
    /// `session`, `key`, `admin-token` or `local`.
    var via: String
    var user: UserAccount?
    var scopes: [AccessScope]
    var csrfToken: String?

    init(context: EarshotRequestContext, gate: AccountGate) {
        mode = gate.isOpen ? "open" : "accounts"
        user = context.principal.user
        csrfToken = context.session?.csrfToken
        scopes = [AccessScope.jobsRead, .jobsWrite, .admin].filter(context.principal.has)
        via = switch context.principal {
        case .user(_, let key): key == nil ? "session" : "key"
        case .adminToken: "admin-token"
        case .node: "node"
        case .local, .anonymous: "local"
        }
    }
}
