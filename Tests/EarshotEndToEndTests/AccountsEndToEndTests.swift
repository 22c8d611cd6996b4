import Foundation
import Testing

/// Accounts on a real server: the first admin from the setup token or `EARSHOT_ADMIN_PASSWORD`,
/// sessions and keys, members kept to their own jobs, revocation, sign-in limits, the audit log, and
/// the refusal to serve other machines without accounts.
@Suite("Accounts end to end", .serialized)
struct AccountsEndToEndTests {
    static let fastHashing = ["EARSHOT_PASSWORD_HASH_COST": "4"]

    @Test("auth: accounts prints a one-time setup token; the admin it creates signs in, makes users and keys")
    func setupToken() async throws {
        let directory = try TestEnvironment.temporaryDirectory("accounts-setup")
        defer { try? FileManager.default.removeItem(at: directory) }
        let server = try await ServerProcess(
            dataDirectory: directory, extraArguments: ["--workers", "0", "--auth", "accounts"], environment: Self.fastHashing
        )
        defer { Task { await server.kill() } }
        let token = try #require(server.log.firstMatch(of: /setup_token=([0-9a-f]{32})/)?.1, "no setup token in the log")
        #expect(try await server.request("GET", "/api/v1/jobs").status == 401, "nothing is open before the first admin exists")

        let wrong = try await postJSON(server, "/api/v1/setup", ["token": String(repeating: "0", count: 32), "username": "ada", "password": "correct horse"])
        #expect(try wrong.status == 401 && wrong.errorCode() == "invalid_setup_token")
        let made = try await postJSON(server, "/api/v1/setup", ["token": String(token), "username": "ada", "password": "correct horse"])
        #expect(made.status == 201, "\(made.text)")
        let cookie = try #require(Self.sessionCookie(made), "setup signs the admin in")
        #expect(made.headers["set-cookie"]?.contains("HttpOnly") == true && made.headers["set-cookie"]?.contains("SameSite=Strict") == true)
        let again = try await postJSON(server, "/api/v1/setup", ["token": String(token), "username": "eve", "password": "correct horse"])
        #expect(try again.status == 409 && again.errorCode() == "setup_done", "the token works once")

        let csrf = try #require(try made.json()["csrf_token"] as? String)
        let user = try await postJSON(
            server, "/api/v1/users", ["username": "bob", "password": "0123456789", "role": "viewer"],
            headers: ["Cookie": cookie, "X-CSRF-Token": csrf]
        )
        #expect(user.status == 201, "\(user.text)")
        let bob = try await signIn(server, "bob", "0123456789")
        let bobCSRF = try #require(try bob.json()["csrf_token"] as? String)
        let bobCookie = try #require(Self.sessionCookie(bob))
        let tooStrong = try await postJSON(
            server, "/api/v1/keys", ["name": "ci", "scopes": ["jobs:write"]], headers: ["Cookie": bobCookie, "X-CSRF-Token": bobCSRF]
        )
        #expect(try tooStrong.status == 403 && tooStrong.errorCode() == "scope_not_allowed", "a viewer cannot hold jobs:write")
        let uploadAsViewer = try await server.request("POST", "/api/v1/jobs", body: Data("x".utf8), contentType: "audio/wav", headers: ["Cookie": bobCookie, "X-CSRF-Token": bobCSRF])
        #expect(uploadAsViewer.status == 403, "viewers read only")
    }

    @Test("members see only their own jobs; a revoked key stops at once; admins see the audit log, members do not")
    func ownershipAndRevocation() async throws {
        let directory = try TestEnvironment.temporaryDirectory("accounts-members")
        defer { try? FileManager.default.removeItem(at: directory) }
        let server = try await ServerProcess(
            dataDirectory: directory, extraArguments: ["--workers", "0"],
            environment: Self.fastHashing.merging(["EARSHOT_ADMIN_PASSWORD": "admin password 1"]) { $1 }
        )
        defer { Task { await server.kill() } }
        #expect(server.log.contains("created the admin account from EARSHOT_ADMIN_PASSWORD"))
        let admin = try await signIn(server, "admin", "admin password 1")
        let adminHeaders = ["Cookie": try #require(Self.sessionCookie(admin)), "X-CSRF-Token": try #require(try admin.json()["csrf_token"] as? String)]
        for name in ["kim", "lee"] {
            let made = try await postJSON(server, "/api/v1/users", ["username": name, "password": "member password"], headers: adminHeaders)
            #expect(made.status == 201, "\(made.text)")
        }
        let kimKey = try await createKey(server, user: "kim")
        let leeKey = try await createKey(server, user: "lee")

        let clip = try TestEnvironment.librivoxClips()[0].url
        let upload = try await server.upload(clip, bearer: kimKey.secret)
        #expect(upload.status == 201, "\(upload.text)")
        let job = try #require(try upload.json()["id"] as? String)
        #expect(try upload.json()["owner_id"] as? String != nil)

        #expect(try await server.request("GET", "/api/v1/jobs/\(job)", bearer: kimKey.secret).status == 200)
        #expect(try await server.request("GET", "/api/v1/jobs/\(job)", bearer: leeKey.secret).status == 404, "another member's job does not exist for them")
        #expect(try await server.request("POST", "/api/v1/jobs/\(job)/cancel", bearer: leeKey.secret).status == 404)
        let leeList = try await server.request("GET", "/api/v1/jobs", bearer: leeKey.secret).json()["jobs"] as? [Any]
        #expect(leeList?.isEmpty == true)
        let adminList = try await server.request("GET", "/api/v1/jobs", headers: adminHeaders).json()["jobs"] as? [Any]
        #expect(adminList?.count == 1)

        let revoked = try await server.request("DELETE", "/api/v1/keys/\(kimKey.id)", bearer: kimKey.secret)
        #expect(revoked.status == 200, "\(revoked.text)")
        let refused = try await server.request("GET", "/api/v1/jobs/\(job)", bearer: kimKey.secret)
        #expect(try refused.status == 401 && refused.errorCode() == "key_revoked", "a revoked key stops working immediately")

        let audit = try await server.request("GET", "/api/v1/events/log?types=audit.*&limit=100", headers: adminHeaders).json()["events"] as? [[String: Any]] ?? []
        let types = audit.compactMap { $0["type"] as? String }
        for expected in ["audit.user_created", "audit.login", "audit.key_created", "audit.key_revoked"] {
            #expect(types.contains(expected), "\(expected) in \(types)")
        }
        let asMember = try await server.request("GET", "/api/v1/events/log?types=audit.*", bearer: leeKey.secret).json()["events"] as? [Any]
        #expect(asMember?.isEmpty == true, "members do not see the audit log")
    }

    @Test("guessing a password is stopped with 429 and Retry-After; failures are audited")
    func bruteForce() async throws {
        let directory = try TestEnvironment.temporaryDirectory("accounts-brute")
        defer { try? FileManager.default.removeItem(at: directory) }
        let server = try await ServerProcess(
            dataDirectory: directory, extraArguments: ["--workers", "0", "--admin-token", "audit-reader-token-0123456789"],
            environment: Self.fastHashing.merging(["EARSHOT_ADMIN_PASSWORD": "admin password 1"]) { $1 }
        )
        defer { Task { await server.kill() } }
        // Five guesses a minute per name, a burst of five: the sixth is refused unless a loaded machine
        // took 12 s over the first five, when one more gets through. Either way the limit comes.
        var statuses: [Int] = []
        while statuses.last != 429, statuses.count < 12 {
            statuses.append(try await signIn(server, "admin", "guess number \(statuses.count)").status)
        }
        #expect(Array(statuses.prefix(5)) == [401, 401, 401, 401, 401], "\(statuses)")
        #expect(statuses.last == 429 && statuses.dropLast().allSatisfy { $0 == 401 }, "\(statuses)")
        let audit = try await server.request("GET", "/api/v1/events/log?types=audit.login_failed&limit=100", bearer: "audit-reader-token-0123456789")
        let failures = try audit.json()["events"] as? [[String: Any]] ?? []
        #expect(failures.count == statuses.count - 1, "every refused guess is audited (the limited ones never reach the password): \(audit.text)")

        // The right password waits too, so the limit tells a guesser nothing. The bucket refills
        // continuously, so a slow request can arrive just after a token came back: each try first
        // meets the limit with a wrong guess, then sends the right password at once.
        var rightPassword: [Int] = []
        var retryAfter = 0
        for attempt in 0..<3 where !rightPassword.contains(429) {
            _ = try await signIn(server, "admin", "guess again \(attempt)")
            let limited = try await signIn(server, "admin", "admin password 1")
            rightPassword.append(limited.status)
            retryAfter = max(retryAfter, Int(limited.headers["retry-after"] ?? "") ?? 0)
        }
        #expect(rightPassword.contains(429), "\(rightPassword)")
        #expect(retryAfter >= 1)
    }

    @Test("serve refuses another address without accounts, and starts on it with EARSHOT_ADMIN_PASSWORD")
    func nonLoopbackNeedsAccounts() async throws {
        let directory = try TestEnvironment.temporaryDirectory("accounts-bind")
        defer { try? FileManager.default.removeItem(at: directory) }
        let process = Process()
        process.executableURL = TestEnvironment.earshotBinary
        process.arguments = ["serve", "--host", "0.0.0.0", "--port", "0", "--workers", "0", "--data-dir", directory.path]
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = Pipe()
        try process.run()
        let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus != 0)
        #expect(message.contains("binding to 0.0.0.0 needs accounts"), "\(message)")

        let server = try await ServerProcess(
            dataDirectory: directory, extraArguments: ["--workers", "0", "--host", "0.0.0.0"],
            environment: Self.fastHashing.merging(["EARSHOT_ADMIN_PASSWORD": "admin password 1"]) { $1 }
        )
        defer { Task { await server.kill() } }
        let anonymous = try await server.request("GET", "/api/v1/jobs")
        #expect(anonymous.status == 401)
        let signedIn = try await signIn(server, "admin", "admin password 1")
        #expect(signedIn.headers["set-cookie"]?.contains("Secure") == true, "a server other machines reach sends Secure cookies")
    }

    // MARK: Helpers

    func postJSON(_ server: ServerProcess, _ path: String, _ body: [String: Any], headers: [String: String] = [:]) async throws -> ServerProcess.HTTPResult {
        try await server.request("POST", path, body: try JSONSerialization.data(withJSONObject: body), contentType: "application/json", headers: headers)
    }

    func signIn(_ server: ServerProcess, _ username: String, _ password: String) async throws -> ServerProcess.HTTPResult {
        try await postJSON(server, "/api/v1/session", ["username": username, "password": password])
    }

    /// Signs in as `user` (password "member password") and makes a read/write key.
    func createKey(_ server: ServerProcess, user: String) async throws -> (id: String, secret: String) {
        let session = try await signIn(server, user, "member password")
        let headers = ["Cookie": try #require(Self.sessionCookie(session)), "X-CSRF-Token": try #require(try session.json()["csrf_token"] as? String)]
        let made = try await postJSON(server, "/api/v1/keys", ["name": "laptop", "scopes": ["jobs:read", "jobs:write"]], headers: headers)
        let json = try made.json()
        return (try #require((json["key"] as? [String: Any])?["id"] as? String), try #require(json["api_key"] as? String))
    }

    /// `earshot_session=<token>` from a response's `Set-Cookie`.
    static func sessionCookie(_ response: ServerProcess.HTTPResult) -> String? {
        guard let header = response.headers["set-cookie"], let pair = header.split(separator: ";").first, pair.hasPrefix("earshot_session=") else {
            return nil
        }
        return String(pair)
    }
}
