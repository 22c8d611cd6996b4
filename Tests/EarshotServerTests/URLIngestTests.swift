import EarshotCore
@testable import EarshotServer
import EarshotStore
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle
import Testing

/// `POST /api/v1/jobs {"url": …}`: the SSRF guard, redirects and limits, against a real HTTP
/// server on loopback (which the guard refuses unless `allow_private_urls` is on).
@Suite("URL ingest")
struct URLIngestTests {
    @Test("only public unicast addresses pass the guard", arguments: [
        ("8.8.8.8", true), ("93.184.216.34", true), ("2001:4860:4860::8888", true), ("127.0.0.1", false), ("127.1.2.3", false),
        ("10.0.0.1", false), ("172.16.5.4", false), ("172.32.0.1", true), ("192.168.1.1", false), ("169.254.169.254", false),
        ("100.64.0.1", false), ("0.0.0.0", false), ("224.0.0.1", false), ("255.255.255.255", false), ("::1", false), ("::", false),
        ("fe80::1", false), ("fd00::1", false), ("ff02::1", false), ("::ffff:127.0.0.1", false), ("::ffff:8.8.8.8", true),
        ("64:ff9b::10.0.0.1", false), ("not an address", false),
    ])
    func addresses(address: String, isPublic: Bool) {
        #expect(AddressPolicy.isPublic(address) == isPublic, "\(address)")
    }

    /// A file server on loopback: `/clip.wav` (5,000 bytes), `/hop` → `/clip.wav`, `/loop` → itself, `/gone` 404.
    static func fileServer() async throws -> LoopbackServer {
        let router = Router()
        let clip = [UInt8](repeating: 7, count: 5000)
        router.get("clip.wav") { _, _ in
            Response(status: .ok, headers: [.contentType: "audio/wav"], body: .init(byteBuffer: ByteBuffer(bytes: clip)))
        }
        router.get("hop") { _, _ in Response(status: .found, headers: [.location: "/clip.wav"]) }
        router.get("loop") { _, _ in Response(status: .found, headers: [.location: "/loop"]) }
        router.get("gone") { _, _ in Response(status: .notFound) }
        return try await LoopbackServer.start(router)
    }

    @Test("loopback, metadata and private addresses are refused by default; bad bodies are refused before anything is fetched")
    func guardRefuses() async throws {
        let server = try TestServer()
        defer { server.cleanUp() }
        let recorder = ConformanceRecorder(server: server, document: try OpenAPIAgreementTests.document())
        let jobs = "/api/v1/jobs"
        func post(_ body: String, expect status: Int, code: String) async throws {
            _ = try await recorder.exchange(.post, jobs, jobs, expect: status, code: code, headers: [.contentType: "application/json"], body: Array(body.utf8))
        }
        for url in ["http://127.0.0.1:9/a.wav", "http://169.254.169.254/latest/meta-data/", "http://[::1]/a.wav", "http://localhost/a.wav", "http://10.1.2.3/a.mp3"] {
            try await post(#"{"url":"\#(url)"}"#, expect: 400, code: "url_not_allowed")
        }
        try await post(#"{"url":"ftp://example.org/a.mp3"}"#, expect: 400, code: "invalid_url")
        try await post(#"{"model":"tiny.en"}"#, expect: 400, code: "missing_url")
        try await post(#"{"url":"http://127.0.0.1/a.wav","model":"huge"}"#, expect: 400, code: "unknown_model")
        #expect(try await server.store.jobs(JobQuery()).jobs.isEmpty)
        #expect(recorder.problems.isEmpty, "responses disagree with openapi.yaml:\n\(recorder.problems.joined(separator: "\n"))")
    }

    @Test("with private URLs allowed: redirects are followed (and capped), failures and oversize files are refused in words, the job keeps the file's name and options")
    func fetches() async throws {
        var configuration = ServerConfiguration()
        configuration.allowPrivateURLs = true
        configuration.maxUploadBytes = 10_000
        let server = try TestServer(configuration: configuration)
        defer { server.cleanUp() }
        var small = configuration
        small.maxUploadBytes = 1000
        let strict = try TestServer(configuration: small)
        defer { strict.cleanUp() }
        let files = try await Self.fileServer()
        let base = "http://127.0.0.1:\(files.port)"
        func post(_ body: String, on target: TestServer? = nil) async throws -> Exchange {
            try await (target ?? server).send(.post, "/api/v1/jobs", headers: [.contentType: "application/json"], body: Array(body.utf8))
        }

        let created = try await post(#"{"url":"\#(base)/hop","language":"en","priority":7,"word_timestamps":true}"#)
        #expect(created.status == 201, "\(created.text)")
        let id = try #require(created.json?["id"]?.string)
        let job = try await server.store.job(JobID(rawValue: id))
        #expect(job.media.filename == "clip.wav" && job.media.sizeBytes == 5000 && job.media.contentType == "audio/wav")
        #expect(job.priority == 7 && job.options.language == "en" && job.options.wordTimestamps)
        #expect(try await post(#"{"url":"\#(base)/loop"}"#).errorCode == "too_many_redirects")
        #expect(try await post(#"{"url":"\#(base)/gone"}"#).errorCode == "url_fetch_failed")
        #expect(try await post(#"{"url":"http://127.0.0.1:9/nothing-listens"}"#).errorCode == "url_fetch_failed")
        let oversize = try await post(#"{"url":"\#(base)/clip.wav"}"#, on: strict)
        #expect(oversize.status == 413 && oversize.errorCode == "payload_too_large")
        try await files.stop()
    }
}
