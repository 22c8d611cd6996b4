import Foundation
import Hummingbird
import NIOCore
import Testing

/// A job from a URL against a real server and engine: the media is fetched from an HTTP server on
/// loopback (a stand-in for a podcast host; `allow_private_urls` lets the server reach it).
@Suite("URL ingest end to end", .serialized)
struct URLIngestEndToEndTests {
    @Test("POST {url} fetches the reading, transcribes it with the right words, and keeps the URL's file name")
    func fetchAndTranscribe() async throws {
        let directory = try TestEnvironment.temporaryDirectory("url-ingest")
        let config = directory.appendingPathComponent("earshot.yaml")
        try "allow_private_urls: true\n".write(to: config, atomically: true, encoding: .utf8)
        let server = try await ServerProcess(dataDirectory: directory, extraArguments: ["--workers", "1", "--config", config.path])
        let clip = try TestEnvironment.librivoxClips()[0]
        let audio = try Data(contentsOf: clip.url)

        let router = Router()
        router.get("episodes/{name}") { _, _ in
            Response(status: .ok, headers: [.contentType: "audio/wav"], body: .init(byteBuffer: ByteBuffer(bytes: audio)))
        }
        let host = try await LoopbackServer.start(router)
        let port = host.port

        let created = try await server.request(
            "POST", "/api/v1/jobs", body: Data(#"{"url":"http://127.0.0.1:\#(port)/episodes/austen-0870.wav","language":"en"}"#.utf8),
            contentType: "application/json"
        )
        #expect(created.status == 201, "\(created.text)")
        let id = try #require(try created.json()["id"] as? String)
        let job = try await server.waitForJob(id)
        #expect(job["state"] as? String == "succeeded" && (job["media"] as? [String: Any])?["filename"] as? String == "austen-0870.wav")
        let text = try await server.request("GET", "/api/v1/jobs/\(id)/transcript?format=txt").text
        let (errors, words) = WordErrorRate.errors(reference: clip.reference, hypothesis: text)
        #expect(Double(errors) / Double(words) <= 0.15, "WER \(errors)/\(words): \(text)")
        await host.stop()
        #expect(await server.terminate() == 0)
    }
}
