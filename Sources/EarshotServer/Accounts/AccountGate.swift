import EarshotCore
import EarshotStore
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import Synchronization

/// Decides who a request comes from, and holds what accounts need between requests: whether the
/// server runs open (loopback, no users yet) or with accounts, the one-time setup token, and the
/// sign-in rate limits.
final class AccountGate: Sendable {
    let store: any Store
    let passwords: Passwords
    let adminToken: String
    /// Whether session cookies carry `Secure` (the server is reachable from other machines).
    let secureCookies: Bool
    let sessionLifetime: TimeInterval
    /// Sign-in attempts per username: 5 at once, then one every 12 s; guessing one account's password is slow.
    let loginLimiterByName = RateLimiter(ratePerSecond: 5.0 / 60, burst: 5)
    /// Sign-in attempts per client address: 20 at once (an office behind one address), then one every 3 s.
    let loginLimiterByAddress = RateLimiter(ratePerSecond: 20.0 / 60, burst: 20)
    private let accountsOn: Atomic<Bool>
    private let setupToken: Mutex<String?>
    /// When each key's last use was written, so a busy key costs one write a minute, not one per request.
    private let keyUseWritten = Mutex<[String: Date]>([:])

    static let sessionCookie = "earshot_session"
    static let csrfHeader = HTTPField.Name("X-CSRF-Token")!
    static let userKeyPrefix = "esu_"

    init(store: any Store, configuration: ServerConfiguration, accountsOn: Bool, setupToken: String?) {
        self.store = store
        passwords = Passwords(cost: UInt8(clamping: configuration.passwordHashCost))
        adminToken = configuration.adminToken
        secureCookies = !ServerConfiguration.isLoopback(configuration.host)
        sessionLifetime = configuration.sessionLifetimeHours * 3600
        self.accountsOn = Atomic(accountsOn)
        self.setupToken = Mutex(setupToken)
    }

    /// Opens the gate at start: creates the first admin from `EARSHOT_ADMIN_PASSWORD`, decides whether
    /// accounts are on, makes a setup token when they are but nobody can sign in yet, and refuses to
    /// serve other machines without accounts.
    static func prepare(
        store: any Store, configuration: ServerConfiguration, environment: [String: String], logger: Logger
    ) async throws -> AccountGate {
        let probe = AccountGate(store: store, configuration: configuration, accountsOn: false, setupToken: nil)
        var users = try await store.userCount()
        if users == 0, let password = environment["EARSHOT_ADMIN_PASSWORD"], !password.isEmpty {
            let username = environment["EARSHOT_ADMIN_USERNAME"].flatMap { $0.isEmpty ? nil : $0 } ?? "admin"
            do {
                try UserAccount.validate(username: username)
                try UserAccount.validate(password: password)
            } catch {
                throw ConfigurationError(problems: ["EARSHOT_ADMIN_PASSWORD / EARSHOT_ADMIN_USERNAME: \(error.message)"])
            }
            let hash = try await probe.passwords.hash(password)
            let admin = UserAccount(username: username, role: .admin, createdAt: Date())
            _ = try await store.createUser(admin, passwordHash: hash, audit: AuditEventData(actor: "EARSHOT_ADMIN_PASSWORD", target: "user:\(admin.id)"))
            logger.notice("created the admin account from EARSHOT_ADMIN_PASSWORD", metadata: ["username": "\(username)"])
            users = 1
        }
        let accountsOn = users > 0 || configuration.auth == "accounts"
        if !accountsOn, !ServerConfiguration.isLoopback(configuration.host) {
            throw ConfigurationError(problems: [
                "binding to \(configuration.host) needs accounts: set EARSHOT_ADMIN_PASSWORD, or auth: accounts (a setup token is printed at start)",
            ])
        }
        var token: String?
        if accountsOn, users == 0 {
            token = SecretTokens.random(bytes: 16)
            logger.notice(
                "no accounts yet: open /login and create the first admin with this one-time setup token",
                metadata: ["setup_token": "\(token ?? "")"]
            )
        }
        return AccountGate(store: store, configuration: configuration, accountsOn: accountsOn, setupToken: token)
    }

    /// No accounts: everyone who can reach the (loopback) server is its local user.
    var isOpen: Bool { !accountsOn.load(ordering: .acquiring) }

    /// Once a user exists, everyone must sign in.
    func turnAccountsOn() {
        accountsOn.store(true, ordering: .releasing)
    }

    /// Whether admin routes of an open server still need the configured `admin_token`.
    var openAdminNeedsToken: Bool { isOpen && !adminToken.isEmpty }

    /// Spends the setup token if `token` is it.
    func consumeSetupToken(_ token: String) -> Bool {
        setupToken.withLock { current in
            guard let expected = current, NodeKeys.constantTimeEquals(token, expected) else { return false }
            current = nil
            return true
        }
    }

    var setupPending: Bool { setupToken.withLock { $0 != nil } }

    /// The caller behind a request's credentials: a bearer key (admin token, node key, user key) or a
    /// session cookie. A key that is unknown or revoked is refused at once; a stale cookie is ignored
    /// (the caller is anonymous). State-changing requests on a session must carry its CSRF token. An open
    /// server ignores keys it does not know, but not a wrong node key.
    func resolve(_ request: Request) async throws -> (Principal, UserSession?) {
        if let bearer = NodeKeys.bearerToken(request) {
            return (try await principal(forKey: bearer), nil)
        }
        if let token = Self.cookie(Self.sessionCookie, in: request),
           let (session, user) = try await store.session(tokenHash: NodeKeys.hash(token), now: Date()) {
            if !Self.isSafe(request.method) {
                guard let sent = request.headers[Self.csrfHeader], NodeKeys.constantTimeEquals(sent, session.csrfToken) else {
                    throw APIError(.forbidden, "csrf_failed", "this request needs the page's X-CSRF-Token header")
                }
            }
            return (.user(user, key: nil), session)
        }
        return (isOpen ? .local : .anonymous, nil)
    }

    private func principal(forKey key: String) async throws -> Principal {
        if !adminToken.isEmpty, NodeKeys.constantTimeEquals(key, adminToken) { return .adminToken }
        if key.hasPrefix(NodeKeys.prefix), let node = try await store.node(keyHash: NodeKeys.hash(key)) { return .node(id: node.id) }
        // Without accounts no key is needed, and clients that must send one (OpenAI's SDKs) send anything.
        if isOpen, !key.hasPrefix(NodeKeys.prefix) { return .local }
        if key.hasPrefix(Self.userKeyPrefix), let (record, user) = try await store.apiKey(keyHash: NodeKeys.hash(key)) {
            guard !record.isRevoked else {
                throw APIError(.unauthorized, "key_revoked", "this API key was revoked", headers: [.wwwAuthenticate: "Bearer"])
            }
            try await noteUse(of: record)
            return .user(user, key: record)
        }
        throw NodeKeys.unauthorized
    }

    private func noteUse(of key: APIKeyRecord) async throws {
        let now = Date()
        let due = keyUseWritten.withLock { written in
            if let last = written[key.id], now.timeIntervalSince(last) < 60 { return false }
            if written.count > 10_000 { written.removeAll() }
            written[key.id] = now
            return true
        }
        if due { try await store.markAPIKeyUsed(key.id, now: now) }
    }

    /// Starts a browser session for `user`; returns the `Set-Cookie` value and the session.
    func startSession(for user: UserAccount, address: String?) async throws -> (cookie: String, session: UserSession) {
        let token = SecretTokens.random(bytes: 32)
        let now = Date()
        let session = UserSession(
            tokenHash: NodeKeys.hash(token), userId: user.id, csrfToken: SecretTokens.random(bytes: 16), createdAt: now,
            expiresAt: now.addingTimeInterval(sessionLifetime)
        )
        try await store.startSession(session, audit: AuditEventData(actor: "user:\(user.username)", target: "user:\(user.id)", address: address))
        return (cookie(token, maxAge: Int(sessionLifetime)), session)
    }

    /// A `Set-Cookie` value for the session token; HttpOnly (no script reads it), SameSite=Strict (no
    /// other site's page sends it), Secure when the server is reachable from other machines.
    func cookie(_ token: String, maxAge: Int) -> String {
        "\(Self.sessionCookie)=\(token); Path=/; Max-Age=\(maxAge); HttpOnly; SameSite=Strict" + (secureCookies ? "; Secure" : "")
    }

    static func cookie(_ name: String, in request: Request) -> String? {
        for header in request.headers[values: .cookie] {
            for pair in header.split(separator: ";") {
                let parts = pair.split(separator: "=", maxSplits: 1)
                if parts.count == 2, parts[0].trimmingCharacters(in: .whitespaces) == name {
                    return parts[1].trimmingCharacters(in: .whitespaces)
                }
            }
        }
        return nil
    }

    static func isSafe(_ method: HTTPRequest.Method) -> Bool {
        method == .get || method == .head || method == .options
    }
}

/// Random secrets as lowercase hex.
enum SecretTokens {
    static func random(bytes: Int) -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<bytes).map { _ in String(format: "%02x", generator.next() as UInt8) }.joined()
    }
}
