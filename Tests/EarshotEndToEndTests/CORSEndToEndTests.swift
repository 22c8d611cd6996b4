import Foundation
import Testing

/// Cross-origin access on a real server: only the configured origins, never with credentials.
@Suite("CORS end to end", .serialized)
struct CORSEndToEndTests {
    @Test("an allowed origin gets its preflight and its answers; any other origin gets 403 on preflight and no CORS headers")
    func allowList() async throws {
        let directory = try TestEnvironment.temporaryDirectory("cors")
        defer { try? FileManager.default.removeItem(at: directory) }
        let server = try await ServerProcess(
            dataDirectory: directory, extraArguments: ["--workers", "0"],
            environment: ["EARSHOT_CORS_ORIGINS": "https://app.example, http://localhost:3000"]
        )
        let port = server.baseURL.port!
        func send(_ method: String, _ path: String, origin: String?, preflight: Bool = false) throws -> String {
            var head = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
            if let origin { head += "Origin: \(origin)\r\n" }
            if preflight { head += "Access-Control-Request-Method: POST\r\nAccess-Control-Request-Headers: authorization\r\n" }
            return try RawHTTP.exchange(port: port, head: head + "\r\n")
        }
        func header(_ name: String, in answer: String) -> String? {
            answer.components(separatedBy: "\r\n\r\n")[0].split(separator: "\r\n")
                .first { $0.lowercased().hasPrefix(name.lowercased() + ":") }
                .map { String($0.split(separator: ":", maxSplits: 1)[1]).trimmingCharacters(in: .whitespaces) }
        }

        let preflight = try send("OPTIONS", "/api/v1/jobs", origin: "https://app.example", preflight: true)
        #expect(preflight.hasPrefix("HTTP/1.1 204"), "\(preflight.prefix(200))")
        #expect(header("Access-Control-Allow-Origin", in: preflight) == "https://app.example")
        #expect(header("Access-Control-Allow-Methods", in: preflight)?.contains("POST") == true)
        #expect(header("Access-Control-Allow-Headers", in: preflight)?.contains("Authorization") == true)
        #expect(header("Access-Control-Allow-Credentials", in: preflight) == nil)

        let allowed = try send("GET", "/api/v1/jobs", origin: "http://localhost:3000")
        #expect(allowed.hasPrefix("HTTP/1.1 200"))
        #expect(header("Access-Control-Allow-Origin", in: allowed) == "http://localhost:3000")
        #expect(header("Vary", in: allowed) == "Origin")

        let refusedPreflight = try send("OPTIONS", "/api/v1/jobs", origin: "https://evil.example", preflight: true)
        #expect(refusedPreflight.hasPrefix("HTTP/1.1 403"), "\(refusedPreflight.prefix(200))")
        #expect(refusedPreflight.contains("origin_not_allowed"))
        let other = try send("GET", "/api/v1/jobs", origin: "https://evil.example")
        #expect(other.hasPrefix("HTTP/1.1 200"), "same-origin rules are the browser's to enforce; the answer just lacks CORS headers")
        #expect(header("Access-Control-Allow-Origin", in: other) == nil)
        let sameSite = try send("GET", "/api/v1/jobs", origin: nil)
        #expect(header("Access-Control-Allow-Origin", in: sameSite) == nil)
    }
}
