import Foundation
import Testing

/// Rate limits on a real server: per client address and per bearer key, 429 with Retry-After.
@Suite("Rate limits end to end", .serialized)
struct RateLimitEndToEndTests {
    @Test("a client over its burst gets 429 with Retry-After; other addresses are not affected; one key spread over addresses is limited as one")
    func limits() async throws {
        let directory = try TestEnvironment.temporaryDirectory("rate-limit")
        defer { try? FileManager.default.removeItem(at: directory) }
        let server = try await ServerProcess(
            dataDirectory: directory, extraArguments: ["--workers", "0"],
            // One token per 50 s: a slow, loaded machine cannot refill a bucket between the requests.
            environment: ["EARSHOT_RATE_LIMIT_PER_SECOND": "0.02", "EARSHOT_RATE_LIMIT_BURST": "3"]
        )
        for _ in 0..<3 { #expect(try await server.request("GET", "/api/v1/jobs").status == 200) }
        let refused = try await server.request("GET", "/api/v1/jobs")
        #expect(refused.status == 429)
        #expect(try refused.errorCode() == "rate_limited")
        let retryAfter = Int(refused.headers["retry-after"] ?? "") ?? 0
        // At most one token's interval (50 s); less by however long the four requests took (a loaded CI
        // machine once took 11 s over them).
        #expect((1...50).contains(retryAfter), "Retry-After: \(refused.headers["retry-after"] ?? "none")")
        #expect(refused.headers["x-content-type-options"] == "nosniff", "refusals carry the security headers too")
        #expect(try await server.request("GET", "/healthz").status == 200, "health probes are not limited")

        // Another address has its own bucket.
        let port = server.baseURL.port!
        let fromElsewhere = try RawHTTP.exchange(port: port, head: Self.get("/api/v1/jobs"), source: "127.0.0.2")
        #expect(fromElsewhere.hasPrefix("HTTP/1.1 200"), "\(fromElsewhere.prefix(120))")

        // One key used from three fresh addresses uses up the key's burst; a fourth address with it is refused.
        // (The API document is open to all, so a made-up key is not refused as unknown first.)
        for (index, source) in ["127.0.0.3", "127.0.0.4", "127.0.0.5"].enumerated() {
            let answer = try RawHTTP.exchange(port: port, head: Self.get("/openapi.yaml", bearer: "shared-key"), source: source)
            #expect(answer.hasPrefix("HTTP/1.1 200"), "request \(index + 1) with the key: \(answer.prefix(120))")
        }
        let sameKey = try RawHTTP.exchange(port: port, head: Self.get("/openapi.yaml", bearer: "shared-key"), source: "127.0.0.6")
        #expect(sameKey.hasPrefix("HTTP/1.1 429"), "\(sameKey.prefix(120))")
        let otherKey = try RawHTTP.exchange(port: port, head: Self.get("/openapi.yaml", bearer: "other-key"), source: "127.0.0.7")
        #expect(otherKey.hasPrefix("HTTP/1.1 200"), "\(otherKey.prefix(120))")
    }

    @Test("behind a trusted proxy each forwarded client has its own bucket; from anyone else X-Forwarded-For is ignored")
    func trustedProxies() async throws {
        let directory = try TestEnvironment.temporaryDirectory("rate-limit-proxy")
        defer { try? FileManager.default.removeItem(at: directory) }
        let server = try await ServerProcess(
            dataDirectory: directory, extraArguments: ["--workers", "0"],
            environment: ["EARSHOT_RATE_LIMIT_PER_SECOND": "0.02", "EARSHOT_RATE_LIMIT_BURST": "2", "EARSHOT_TRUSTED_PROXIES": "127.0.0.2"]
        )
        let port = server.baseURL.port!
        func status(from source: String, forwardedFor client: String) throws -> String {
            let answer = try RawHTTP.exchange(port: port, head: Self.get("/api/v1/jobs", forwardedFor: client), source: source)
            return String(answer.prefix(12))
        }
        #expect(try status(from: "127.0.0.2", forwardedFor: "203.0.113.9") == "HTTP/1.1 200")
        #expect(try status(from: "127.0.0.2", forwardedFor: "203.0.113.9") == "HTTP/1.1 200")
        #expect(try status(from: "127.0.0.2", forwardedFor: "203.0.113.9") == "HTTP/1.1 429", "the forwarded client's burst is used up")
        #expect(try status(from: "127.0.0.2", forwardedFor: "203.0.113.10") == "HTTP/1.1 200", "another client behind the same proxy is not")
        // An untrusted peer naming a fresh client each time is still limited as itself.
        #expect(try status(from: "127.0.0.3", forwardedFor: "198.51.100.1") == "HTTP/1.1 200")
        #expect(try status(from: "127.0.0.3", forwardedFor: "198.51.100.2") == "HTTP/1.1 200")
        #expect(try status(from: "127.0.0.3", forwardedFor: "198.51.100.3") == "HTTP/1.1 429")
    }

    static func get(_ path: String, bearer: String? = nil, forwardedFor: String? = nil) -> String {
        "GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\n" + (bearer.map { "Authorization: Bearer \($0)\r\n" } ?? "")
            + (forwardedFor.map { "X-Forwarded-For: \($0)\r\n" } ?? "") + "Connection: close\r\n\r\n"
    }
}
