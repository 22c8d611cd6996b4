import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Input meant to hurt the server, sent to a real `earshot serve`: each gets a clean 4xx, the server stays
/// healthy, and what it had already accepted is still there.
@Suite("Hostile input end to end", .serialized)
struct HostileInputEndToEndTests {
    @Test("traversal filenames, a 3 GB Content-Length with a tiny body, truncated multipart, non-UTF-8 and deeply nested JSON: clean 4xx, nothing lost")
    func hostileRequests() async throws {
        let directory = try TestEnvironment.temporaryDirectory("hostile")
        defer { try? FileManager.default.removeItem(at: directory) }
        let server = try await ServerProcess(dataDirectory: directory, extraArguments: ["--workers", "0"])
        let clip = try TestEnvironment.librivoxClips()[1].url
        let accepted = try await server.upload(clip)
        #expect(accepted.status == 201)
        let acceptedID = try #require(try accepted.json()["id"] as? String)

        // Filenames that try to leave the media directory are reduced to their last component, and stored media
        // gets a generated name whatever the client called it.
        for hostile in ["../../../../tmp/earshot-escape.wav", "..\\..\\earshot-escape.wav", "/etc/earshot-escape.wav"] {
            let upload = try await server.upload(clip, filename: hostile)
            #expect(upload.status == 201, "\(hostile): \(upload.text)")
            let filename = (try upload.json()["media"] as? [String: Any])?["filename"] as? String
            #expect(filename?.contains("/") == false && filename?.contains("..") == false, "\(hostile) → \(filename ?? "nil")")
        }
        #expect(!FileManager.default.fileExists(atPath: "/tmp/earshot-escape.wav"))
        #expect(!FileManager.default.fileExists(atPath: "/etc/earshot-escape.wav"))
        let stored = try FileManager.default.subpathsOfDirectory(atPath: directory.appendingPathComponent("media").path)
        #expect(!stored.contains { $0.contains("escape") }, "stored names are generated: \(stored)")

        // 3 GB announced, 5 bytes sent: refused from the headers, at once, without waiting for the rest.
        let huge = try RawHTTP.exchange(
            port: server.baseURL.port!,
            head: "POST /api/v1/jobs?filename=x.wav HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: audio/wav\r\nContent-Length: 3000000000\r\n\r\n",
            body: Data("RIFF!".utf8)
        )
        #expect(huge.hasPrefix("HTTP/1.1 413"), "\(huge.prefix(200))")
        #expect(huge.contains("payload_too_large"))

        // A multipart body cut off before its closing boundary.
        let boundary = "earshot-truncated"
        var truncated = Data("--\(boundary)\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.wav\"\r\nContent-Type: audio/wav\r\n\r\n".utf8)
        truncated.append(try Data(contentsOf: clip).prefix(5000))
        let cut = try await server.request("POST", "/api/v1/jobs", body: truncated, contentType: "multipart/form-data; boundary=\(boundary)")
        #expect((400..<500).contains(cut.status), "truncated multipart: \(cut.status) \(cut.text)")
        #expect(try cut.errorCode() != nil)

        // JSON that is not UTF-8, and JSON nested 100,000 deep, on every route that reads JSON.
        let notUTF8 = Data([0x7B, 0x22, 0x75, 0x72, 0x6C, 0x22, 0x3A, 0x22, 0xFF, 0xFE, 0xC3, 0x28, 0x22, 0x7D])  // {"url":"<bad>"}
        let nested = Data((String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)).utf8)
        let deepObject = Data((String(repeating: "{\"a\":", count: 50_000) + "1" + String(repeating: "}", count: 50_000)).utf8)
        let jsonRoutes: [(String, String)] = [
            ("POST", "/api/v1/jobs"), ("POST", "/api/v1/feeds"), ("POST", "/api/v1/streams"), ("POST", "/api/v1/nodes"),
            ("PATCH", "/api/v1/drafts/\(UUID().uuidString.lowercased())"),
            ("PATCH", "/api/v1/transcripts/\(acceptedID)/segments/0"),
        ]
        for (method, path) in jsonRoutes {
            for (label, body) in [("non-UTF-8", notUTF8), ("nested arrays", nested), ("nested objects", deepObject)] {
                let answer = try await server.request(method, path, body: body, contentType: "application/json")
                #expect((400..<500).contains(answer.status), "\(method) \(path) with \(label): \(answer.status) \(answer.text.prefix(200))")
                #expect(try answer.errorCode() != nil, "\(method) \(path) with \(label): \(answer.text.prefix(200))")
            }
        }

        // Still healthy, and everything accepted is still there.
        #expect(try await server.request("GET", "/healthz").status == 200)
        let job = try await server.request("GET", "/api/v1/jobs/\(acceptedID)").json()
        #expect(job["state"] as? String == "queued")
        let list = try await server.request("GET", "/api/v1/jobs").json()
        #expect((list["jobs"] as? [[String: Any]])?.count == 4)
    }

    @Test("a NUL in a header is answered 400 at once; a head or body that stalls is cut with 408; the server stays healthy")
    func slowAndMalformedClients() async throws {
        let directory = try TestEnvironment.temporaryDirectory("slow-clients")
        defer { try? FileManager.default.removeItem(at: directory) }
        let server = try await ServerProcess(
            dataDirectory: directory, extraArguments: ["--workers", "0"],
            environment: ["EARSHOT_REQUEST_HEADER_TIMEOUT_SECONDS": "1", "EARSHOT_REQUEST_BODY_IDLE_SECONDS": "1"]
        )
        let accepted = try await server.upload(try TestEnvironment.librivoxClips()[0].url)
        let acceptedID = try #require(try accepted.json()["id"] as? String)
        let port = server.baseURL.port!

        let clock = ContinuousClock()
        var answer = ""
        let nul = try clock.measure {
            answer = try RawHTTP.exchange(port: port, head: "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Probe: \u{0}\r\n\r\n")
        }
        #expect(answer.hasPrefix("HTTP/1.1 400"), "\(answer.prefix(80))")
        #expect(nul < .seconds(1), "refused at once, not left open")

        let slowHead = try clock.measure {
            answer = try RawHTTP.exchange(port: port, head: "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
        }
        #expect(answer.hasPrefix("HTTP/1.1 408"), "\(answer.prefix(80))")
        #expect(slowHead < .seconds(5), "cut after the 1 s header timeout (the client would wait 10 s): \(slowHead)")

        let stalledBody = try clock.measure {
            answer = try RawHTTP.exchange(
                port: port,
                head: "POST /api/v1/jobs?filename=x.wav HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: audio/wav\r\nContent-Length: 100000\r\n\r\n",
                body: Data("RIFF".utf8)
            )
        }
        #expect(answer.hasPrefix("HTTP/1.1 408"), "\(answer.prefix(80))")
        #expect(stalledBody < .seconds(5), "\(stalledBody)")

        #expect(try await server.request("GET", "/healthz").status == 200)
        let earlier = try await server.request("GET", "/api/v1/jobs/\(acceptedID)")
        #expect(earlier.status == 200, "the job accepted before is intact")
        let jobs = try await server.request("GET", "/api/v1/jobs").json()["jobs"] as? [Any]
        #expect(jobs?.count == 1, "the stalled upload queued nothing")
    }

    @Test("every answer carries the security headers: a CSP without inline script, no framing, no sniffing, no referrer")
    func securityHeaders() async throws {
        let directory = try TestEnvironment.temporaryDirectory("headers")
        defer { try? FileManager.default.removeItem(at: directory) }
        let server = try await ServerProcess(dataDirectory: directory, extraArguments: ["--workers", "0"])
        for path in ["/", "/jobs", "/static/common.js", "/api/v1/jobs", "/api/v1/jobs/not-a-uuid", "/no/such/page", "/openapi.yaml"] {
            let answer = try await server.request("GET", path)
            let policy = answer.headers["content-security-policy"] ?? ""
            #expect(policy.contains("script-src 'self'") && !policy.contains("unsafe-inline"), "\(path): \(policy)")
            #expect(policy.contains("frame-ancestors 'none'"), "\(path)")
            #expect(answer.headers["x-content-type-options"] == "nosniff", "\(path)")
            #expect(answer.headers["x-frame-options"] == "DENY", "\(path)")
            #expect(answer.headers["referrer-policy"] == "no-referrer", "\(path)")
        }
        // The pages keep their promise: no inline script or style, no inline event handlers.
        for path in ["/", "/jobs", "/nodes", "/search", "/live", "/settings"] {
            let page = try await server.request("GET", path).text
            #expect(page.components(separatedBy: "<script").dropFirst().allSatisfy { $0.prefix(while: { $0 != ">" }).contains("src=") }, "\(path)")
            #expect(!page.contains("<style") && !page.contains(" style=") && page.range(of: #" on[a-z]+="#, options: .regularExpression) == nil, "\(path)")
        }
    }
}

/// One HTTP exchange over a plain socket, for requests URLSession will not send (a Content-Length that does not
/// match the body). Returns whatever the server answered before closing or within 10 s.
enum RawHTTP {
    /// `source`: the local address to send from (any of 127.0.0.0/8 reaches a server on 127.0.0.1).
    static func exchange(port: Int, head: String, body: Data = Data(), source: String? = nil) throws -> String {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw TestFailure("socket failed") }
        defer { close(fd) }
        if let source {
            var local = sockaddr_in()
            local.sin_family = sa_family_t(AF_INET)
            local.sin_addr.s_addr = inet_addr(source)
            let bound = withUnsafePointer(to: &local) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            guard bound == 0 else { throw TestFailure("bind to \(source) failed") }
        }
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { throw TestFailure("connect failed") }
        let request = Data(head.utf8) + body
        _ = request.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, 0) }
        var answer = Data()
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = recv(fd, &buffer, buffer.count, 0)
            if count <= 0 { break }
            answer.append(contentsOf: buffer[0..<count])
            // One answer is enough: stop once its body (by its Content-Length) has arrived.
            let text = String(decoding: answer, as: UTF8.self)
            if let headEnd = text.range(of: "\r\n\r\n"),
               let lengthLine = text[..<headEnd.lowerBound].split(separator: "\r\n").first(where: { $0.lowercased().hasPrefix("content-length:") }),
               let length = Int(lengthLine.split(separator: ":")[1].trimmingCharacters(in: .whitespaces)),
               answer.count >= text.utf8.distance(from: text.utf8.startIndex, to: headEnd.upperBound) + length {
                break
            }
        }
        return String(decoding: answer, as: UTF8.self)
    }
}
