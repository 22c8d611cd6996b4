import EarshotCore
import EarshotNode
@testable import EarshotServer
@testable import EarshotStore
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import NIOEmbedded
import Synchronization
import Testing

/// Every route the server registers × every kind of caller → the status class its access rule and
/// ownership call for. The routes come from the router itself, so a route added without a rule in
/// ``AccessPolicy`` fails here, and so does a rule that lets the wrong caller through.
@Suite("Authorization matrix")
struct AuthorizationMatrixTests {
    /// The callers of the matrix.
    enum Caller: String, CaseIterable, CustomStringConvertible {
        case anonymous
        /// A viewer signed in with a browser session (cookie and CSRF token).
        case viewer
        /// A member's API key (`jobs:read jobs:write`); the member owns the fixture's job.
        case member
        /// Another member's API key: the job is not theirs.
        case otherMember
        /// An admin's API key (`admin`).
        case admin
        /// A registered node's key.
        case nodeKey
        /// The member's revoked key.
        case revokedKey

        var description: String { rawValue }
    }

    enum Expected: Equatable, CustomStringConvertible {
        /// Past authorization: any status but 401 and 403.
        case passes
        case status(Int)

        var description: String {
            switch self {
            case .passes: "not 401/403"
            case .status(let code): "\(code)"
            }
        }
    }

    static let routes: [Endpoint] = {
        do {
            return try MatrixFixture.registeredRoutes()
        } catch {
            Issue.record("could not build the router: \(error)")
            return []
        }
    }()

    @Test("every registered route has an access rule, and every rule a route")
    func everyRouteHasARule() throws {
        let registered = Set(Self.routes.map { "\($0.method) \($0.path)" })
        #expect(registered.count > 60, "the router lists only \(registered.count) routes")
        let unruled = registered.subtracting(AccessPolicy.rules.keys).sorted()
        #expect(unruled.isEmpty, "routes without an access rule in AccessPolicy: \(unruled.joined(separator: ", "))")
        let stale = Set(AccessPolicy.rules.keys).subtracting(registered).sorted()
        #expect(stale.isEmpty, "rules for routes the server does not register: \(stale.joined(separator: ", "))")
    }

    @Test("the table itself: only signing in is open, nothing that changes state is read-only, configuration is admin's")
    func policyIsSane() {
        let open = Set(AccessPolicy.rules.filter { $0.value == .open }.keys)
        #expect(open == [
            "GET /healthz", "GET /readyz", "GET /metrics", "GET /openapi.yaml", "POST /api/v1/setup", "POST /api/v1/session",
            "GET /login", "GET /ui/static/{file}",
        ])
        for (route, rule) in AccessPolicy.rules where !route.hasPrefix("GET ") && !open.contains(route) {
            #expect([.write, .admin, .signedIn, .passwordSession, .node].contains(rule), "\(route) changes state but is \(rule)")
        }
        let adminAreas = ["/api/v1/users", "/api/v1/nodes", "/api/v1/feeds", "/api/v1/streams", "/settings", "/users"]
        for (route, rule) in AccessPolicy.rules where adminAreas.contains(where: { route.split(separator: " ")[1].hasPrefix($0) }) {
            #expect(rule == .admin, "\(route) is \(rule), not admin")
        }
        for (route, rule) in AccessPolicy.rules where route.split(separator: " ")[1].hasPrefix("/api/v1/node/") || route.hasSuffix(" /api/v1/node") {
            #expect(rule == .node, "\(route) is \(rule), not node")
        }
    }

    @Test("each caller gets what the route's rule allows", arguments: routes)
    func matrix(route: Endpoint) async throws {
        let rule = try #require(AccessPolicy.rule(HTTPRequest.Method(route.method)!, path: route.path), "no rule for \(route)")
        var failures: [String] = []
        for caller in Caller.allCases {
            // A fresh copy of the fixture per call: one caller's successful DELETE must not change
            // what the next one meets.
            let fixture = try await MatrixFixture.make()
            defer { fixture.cleanUp() }
            let status = try await fixture.send(route, as: caller)
            let expected = Self.expected(rule: rule, caller: caller, jobScoped: Self.isJobScoped(route.path))
            let ok = switch expected {
            case .passes: status != 401 && status != 403
            case .status(let code): status == code
            }
            if !ok { failures.append("\(caller): got \(status), expected \(expected)") }
        }
        #expect(failures.isEmpty, "\(route) [\(rule)]: \(failures.joined(separator: "; "))")
    }

    static func expected(rule: AccessRule, caller: Caller, jobScoped: Bool) -> Expected {
        if rule == .open { return .passes }
        switch caller {
        case .anonymous, .revokedKey:
            return .status(401)
        case .nodeKey:
            return rule == .node || rule == .readOrNode ? .passes : .status(403)
        case .viewer, .member, .otherMember, .admin:
            // Node routes check for a node key themselves: anything else is not one.
            if rule == .node { return .status(401) }
            let role: Role = switch caller {
            case .viewer: .viewer
            case .admin: .admin
            default: .member
            }
            let scopes: [AccessScope] = switch caller {
            case .admin: [.admin]
            case .viewer: [.jobsRead]
            default: [.jobsRead, .jobsWrite]
            }
            let principal = Principal.user(
                UserAccount(username: caller.rawValue, role: role, createdAt: Date()),
                key: caller == .viewer ? nil : APIKeyRecord(userId: "", name: "", scopes: scopes, prefix: "", createdAt: Date())
            )
            guard principal.allows(rule) else { return .status(403) }
            return jobScoped && caller == .otherMember ? .status(404) : .passes
        }
    }

    /// Routes about one job, whose owner decides who sees them.
    static func isJobScoped(_ path: String) -> Bool {
        ["/api/v1/jobs/{id}", "/api/v1/transcripts/{id}", "/jobs/{id}", "/transcripts/{id}"].contains { path.hasPrefix($0) }
    }

    @Test("a viewer's session may not change anything without its CSRF token")
    func csrf() async throws {
        let fixture = try await MatrixFixture.make()
        defer { fixture.cleanUp() }
        let withoutToken = try await fixture.send(.delete, "/api/v1/session", headers: [.cookie: "earshot_session=\(fixture.viewerCookie)"])
        #expect(withoutToken == 403)
        let wrongToken = try await fixture.send(
            .delete, "/api/v1/session", headers: [.cookie: "earshot_session=\(fixture.viewerCookie)", AccountGate.csrfHeader: "0000"]
        )
        #expect(wrongToken == 403)
        let reading = try await fixture.send(.get, "/api/v1/session", headers: [.cookie: "earshot_session=\(fixture.viewerCookie)"])
        #expect(reading == 200, "reads need no token")
        let withToken = try await fixture.send(
            .delete, "/api/v1/session", headers: [.cookie: "earshot_session=\(fixture.viewerCookie)", AccountGate.csrfHeader: fixture.viewerCSRF]
        )
        #expect(withToken == 204)
        let afterwards = try await fixture.send(.get, "/api/v1/session", headers: [.cookie: "earshot_session=\(fixture.viewerCookie)"])
        #expect(afterwards == 401, "a signed-out session is gone")
    }

    @Test("an open server ignores keys it does not know (OpenAI's SDKs always send one), but not a wrong node key")
    func openServerIgnoresUnknownKeys() async throws {
        let fixture = try await MatrixFixture.make(accountsOn: false)
        defer { fixture.cleanUp() }
        #expect(try await fixture.send(.get, "/api/v1/jobs", headers: [.authorization: "Bearer sk-anything"]) == 200)
        #expect(try await fixture.send(.get, "/api/v1/users") == 200, "the local user is the admin")
        #expect(try await fixture.send(.get, "/api/v1/jobs", headers: [.authorization: "Bearer esk_0000"]) == 401)
    }

    @Test("bodies are limited per route: sign-in and account forms 16 KiB, other JSON 1 MiB, uploads max_upload_bytes")
    func bodyLimits() async throws {
        let fixture = try await MatrixFixture.make()
        defer { fixture.cleanUp() }
        let admin: HTTPFields = [.authorization: "Bearer \(fixture.keys[.admin] ?? "")"]
        func json(_ size: Int) -> [UInt8] { Array("{\"name\":\"".utf8) + Array(repeating: UInt8(ascii: "a"), count: size) + Array("\"}".utf8) }
        #expect(try await fixture.send(.post, "/api/v1/session", body: json(17 * 1024)) == 413)
        #expect(try await fixture.send(.post, "/api/v1/session", body: json(1024)) == 400, "a small wrong body is read and refused")
        #expect(try await fixture.send(.post, "/api/v1/users", headers: admin, body: json(17 * 1024)) == 413)
        #expect(try await fixture.send(.post, "/api/v1/feeds", headers: admin, body: json((1 << 20) + 10)) == 413)
        #expect(try await fixture.send(.post, "/api/v1/feeds", headers: admin, body: json(10 * 1024)) == 400, "under the 1 MiB JSON limit")
        #expect(
            try await fixture.send(.patch, "/api/v1/transcripts/\(fixture.jobID)/segments/0", headers: admin, body: json((1 << 20) + 10)) == 413
        )
    }

    @Test("members see the events of their own jobs only; viewers and admins see all, audit events only admins")
    func eventsByOwner() async throws {
        let fixture = try await MatrixFixture.make()
        defer { fixture.cleanUp() }
        func jobs(_ caller: AuthorizationMatrixTests.Caller) async throws -> Set<String> {
            let body = try await fixture.body(.get, "/api/v1/events/log?limit=500", headers: [.authorization: "Bearer \(fixture.keys[caller] ?? "")"])
            let events = try #require(try JSONSerialization.jsonObject(with: Data(body)) as? [String: Any])["events"] as? [[String: Any]] ?? []
            return Set(events.compactMap { ($0["data"] as? [String: Any])?["job_id"] as? String })
        }
        #expect(try await jobs(.member) == [fixture.jobID.rawValue], "the member's own job")
        #expect(try await jobs(.otherMember).isEmpty, "nothing of another member's job")
        #expect(try await jobs(.admin) == [fixture.jobID.rawValue])
        let otherLog = try await fixture.body(.get, "/api/v1/events/log?types=audit.*", headers: [.authorization: "Bearer \(fixture.keys[.otherMember] ?? "")"])
        #expect(String(decoding: otherLog, as: UTF8.self).contains("\"events\":[]"), "no audit events for members")
    }

    @Test("a browser without a session is sent to the sign-in page")
    func pagesRedirect() async throws {
        let fixture = try await MatrixFixture.make()
        defer { fixture.cleanUp() }
        let response = try await fixture.exchange(.get, "/jobs?state=queued", headers: [.accept: "text/html"])
        #expect(response.status == 303)
        #expect(response.headers[.location] == "/login?next=%2Fjobs%3Fstate%3Dqueued")
        #expect(try await fixture.send(.get, "/login", headers: [.accept: "text/html"]) == 200)
    }
}

/// A server with accounts on, in process: an admin, two members, a viewer, their keys (one
/// revoked), a node, and a succeeded job with a transcript owned by the first member.
struct MatrixFixture {
    let directory: URL
    let store: SQLiteStore
    let responder: RouterResponder<EarshotRequestContext>
    let jobID: JobID
    let memberID: String
    let memberKeyID: String
    let nodeID: String
    let keys: [AuthorizationMatrixTests.Caller: String]
    let viewerCookie: String
    let viewerCSRF: String

    static func make(accountsOn: Bool = true) async throws -> MatrixFixture {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("earshot-matrix-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        _ = EarshotMetrics.registry
        let store = try SQLiteStore(path: directory.appendingPathComponent("earshot.sqlite").path)
        let media = try MediaStore(root: directory.appendingPathComponent("media", isDirectory: true))
        var configuration = ServerConfiguration()
        configuration.passwordHashCost = 4
        configuration.rateLimitPerSecond = 0
        let gate = AccountGate(store: store, configuration: configuration, accountsOn: accountsOn, setupToken: nil)
        let audit = AuditEventData(actor: "test")

        func user(_ name: String, _ role: Role) async throws -> UserAccount {
            try await store.createUser(UserAccount(username: name, role: role, createdAt: Date()), passwordHash: "unused", audit: audit)
        }
        func key(_ owner: UserAccount, _ scopes: [AccessScope]) async throws -> (id: String, secret: String) {
            let secret = AccountGate.userKeyPrefix + SecretTokens.random(bytes: 32)
            let record = try await store.createAPIKey(
                APIKeyRecord(userId: owner.id, name: "k", scopes: scopes, prefix: String(secret.prefix(12)), createdAt: Date()),
                keyHash: NodeKeys.hash(secret), audit: audit
            )
            return (record.id, secret)
        }
        let admin = try await user("admin", .admin)
        let member = try await user("member", .member)
        let other = try await user("other", .member)
        let viewer = try await user("viewer", .viewer)
        let memberKey = try await key(member, [.jobsRead, .jobsWrite])
        let revoked = try await key(member, [.jobsRead, .jobsWrite])
        _ = try await store.revokeAPIKey(revoked.id, audit: audit, now: Date())
        let nodeKey = NodeKeys.generate()
        let node = try await store.createNode(
            Node(
                id: UUID().uuidString.lowercased(), name: "matrix-node", priority: 0, disabled: false, createdAt: Date(), lastHeartbeatAt: nil,
                capabilities: nil, jobsDone: 0, audioSecondsDone: 0
            ),
            keyHash: NodeKeys.hash(nodeKey)
        )
        let (viewerCookie, viewerSession) = try await gate.startSession(for: viewer, address: nil)

        var owned = NewJob(
            options: TranscriptionOptions(model: "tiny.en"),
            media: MediaInfo(sha256: String(repeating: "a", count: 64), filename: "talk.wav", contentType: "audio/wav", sizeBytes: 10, durationSeconds: 1),
            maxAttempts: 3
        )
        owned.ownerId = member.id
        let job = try await store.createJob(owned, now: Date())
        let claimed = try #require(try await store.claimNext(holder: "test", leaseSeconds: 3600, models: nil, now: Date()))
        _ = try await store.complete(claimed.lease, transcript: Transcript(
            jobID: job.id, title: "talk.wav", source: "talk.wav", language: "en", model: "tiny.en", durationSeconds: 1, processingSeconds: 0.1,
            createdAt: Date(), segments: [Segment(start: 0, end: 1, text: " Hello there.", avgLogprob: -0.1, noSpeechProb: 0.01)]
        ), now: Date())

        let router = EarshotServer.makeRouter(
            store: store, media: media, recognizers: [], signal: WorkSignal(), configuration: configuration, gate: gate
        )
        return MatrixFixture(
            directory: directory, store: store, responder: router.buildResponder(),
            jobID: job.id, memberID: member.id, memberKeyID: memberKey.id, nodeID: node.id,
            keys: [.member: memberKey.secret, .otherMember: try await key(other, [.jobsRead, .jobsWrite]).secret,
                   .admin: try await key(admin, [.admin]).secret, .nodeKey: nodeKey, .revokedKey: revoked.secret],
            viewerCookie: String(viewerCookie.split(separator: ";")[0].split(separator: "=")[1]), viewerCSRF: viewerSession.csrfToken
        )
    }

    /// The routes a server registers, as `AccessPolicy` names them.
    static func registeredRoutes() throws -> [Endpoint] {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("earshot-routes-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        _ = EarshotMetrics.registry
        let store = try SQLiteStore(path: directory.appendingPathComponent("earshot.sqlite").path)
        let router = EarshotServer.makeRouter(
            store: store, media: try MediaStore(root: directory.appendingPathComponent("media", isDirectory: true)), recognizers: [],
            signal: WorkSignal(), configuration: ServerConfiguration()
        )
        return router.routes.map { Endpoint(method: $0.method.rawValue, path: AccessPolicy.normalise($0.path.description)) }.sorted()
    }

    /// The route's path with its captures filled in with the fixture's things.
    func uri(for route: Endpoint) -> String {
        var path = route.path
        let id = if path.hasPrefix("/api/v1/users/") {
            memberID
        } else if path.hasPrefix("/api/v1/keys/") {
            memberKeyID
        } else if path.hasPrefix("/api/v1/nodes/") {
            nodeID
        } else if path.hasPrefix("/api/v1/drafts/") || path.hasPrefix("/drafts/") || path.hasPrefix("/api/v1/streams/")
            || path.hasPrefix("/api/v1/feeds/") || path.hasPrefix("/api/v1/speakers/") {
            UUID().uuidString.lowercased()
        } else {
            jobID.rawValue
        }
        path = path.replacingOccurrences(of: "{id}", with: id).replacingOccurrences(of: "{node_id}", with: id)
            .replacingOccurrences(of: "{n}", with: "0").replacingOccurrences(of: "{file}", with: "common.js")
            .replacingOccurrences(of: "{username}", with: "viewer").replacingOccurrences(of: "{speaker}", with: "S1")
        return path == "/api/v1/node/claim" || path == "/api/v1/node/claims" ? path + "?wait=0" : path
    }

    func send(_ route: Endpoint, as caller: AuthorizationMatrixTests.Caller) async throws -> Int {
        var headers: HTTPFields = [:]
        switch caller {
        case .anonymous: break
        case .viewer:
            headers[.cookie] = "earshot_session=\(viewerCookie)"
            headers[AccountGate.csrfHeader] = viewerCSRF
        default: headers[.authorization] = "Bearer \(keys[caller] ?? "")"
        }
        return try await send(HTTPRequest.Method(route.method)!, uri(for: route), headers: headers)
    }

    func send(_ method: HTTPRequest.Method, _ uri: String, headers: HTTPFields = [:], body: [UInt8] = []) async throws -> Int {
        try await exchange(method, uri, headers: headers, body: body).status
    }

    /// The response's status and headers; the body is never read (event streams would not end).
    func exchange(
        _ method: HTTPRequest.Method, _ uri: String, headers: HTTPFields = [:], body: [UInt8] = []
    ) async throws -> (status: Int, headers: HTTPFields) {
        var headers = headers
        if method != .get, headers[.contentType] == nil { headers[.contentType] = "application/json" }
        let response = try await responder.respond(method, uri, headers: headers, body: body, logLevel: .critical)
        return (response.status.code, response.headers)
    }

    /// The whole body of a (finite) response.
    func body(_ method: HTTPRequest.Method, _ uri: String, headers: HTTPFields = [:]) async throws -> [UInt8] {
        let response = try await responder.respond(method, uri, headers: headers)
        let collector = BodyCollector()
        try await response.body.write(collector)
        return collector.storage.bytes.withLock { $0 }
    }

    func cleanUp() {
        try? FileManager.default.removeItem(at: directory)
    }
}
