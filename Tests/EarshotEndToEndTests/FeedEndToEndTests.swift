import EarshotCore
import Foundation
import Hummingbird
import NIOCore
import Synchronization
import Testing

/// Podcast feeds against a real server and engine, served by a local podcast host (a stand-in for
/// one on the internet; `allow_private_urls` lets the server reach it): LibriVox readings as
/// enclosures, one episode with a published WebVTT transcript.
@Suite("Feeds end to end", .serialized)
struct FeedEndToEndTests {
    /// The host's feed: the episodes it lists now, and how it answered.
    final class Host: Sendable {
        let episodes = Mutex<[String]>([])
        let answers = Mutex<[Int]>([])
    }

    static func rss(_ names: [String], base: String) -> String {
        let items = names.enumerated().map { index, name in
            let transcript = name == "notes" ? #"<podcast:transcript url="\#(base)/transcripts/notes.vtt" type="text/vtt"/>"# : ""
            return """
                <item><title>Episode \(name)</title><guid>ep-\(name)</guid>
                <pubDate>\(String(format: "%02d", 2 + index)) Nov 2026 09:00:00 +0000</pubDate>
                <enclosure url="\(base)/episodes/\(name).wav" type="audio/wav" length="\(1000 + index)"/>\(transcript)</item>
                """
        }.joined(separator: "\n")
        return """
            <?xml version="1.0"?><rss version="2.0" xmlns:podcast="https://podcastindex.org/namespace/1.0"><channel>
            <title>Austen Readings</title><link>\(base)</link>\(items)</channel></rss>
            """
    }

    @Test("subscribe: 4 episodes taken once (3 transcribed with the podcast in the Markdown front matter, 1 imported from its VTT); an unchanged feed is a 304; a 5th episode alone is queued; hostile feeds are refused in words and the server carries on")
    func podcastFeed() async throws {
        let directory = try TestEnvironment.temporaryDirectory("feeds")
        let config = directory.appendingPathComponent("earshot.yaml")
        try "allow_private_urls: true\nfeed_check_seconds: 3600\n".write(to: config, atomically: true, encoding: .utf8)
        let server = try await ServerProcess(dataDirectory: directory, extraArguments: ["--workers", "1", "--config", config.path])
        let clips = try TestEnvironment.librivoxClips()
        let audio = Dictionary(uniqueKeysWithValues: [("first", clips[0]), ("second", clips[2]), ("third", clips[3]), ("fifth", clips[4])].map { ($0.0, $0.1) })
        let vtt = "WEBVTT\n\n00:00.000 --> 00:03.000\nShow notes, read aloud.\n"
        let host = Host()
        host.episodes.withLock { $0 = ["first", "second", "third", "notes"] }

        let router = Router()
        let baseBox = Mutex("")
        router.get("feed.xml") { request, _ -> Response in
            let body = Self.rss(host.episodes.withLock { $0 }, base: baseBox.withLock { $0 })
            let etag = "\"\(body.utf8.count)-\(host.episodes.withLock { $0.count })\""
            if request.headers[.ifNoneMatch] == etag {
                host.answers.withLock { $0.append(304) }
                return Response(status: .notModified, headers: [.eTag: etag])
            }
            host.answers.withLock { $0.append(200) }
            return Response(status: .ok, headers: [.contentType: "application/rss+xml", .eTag: etag], body: .init(byteBuffer: ByteBuffer(string: body)))
        }
        router.get("episodes/{name}") { _, context -> Response in
            let name = String((context.parameters.get("name") ?? "").dropLast(4))
            guard let clip = audio[name] else { return Response(status: .notFound) }
            return Response(status: .ok, headers: [.contentType: "audio/wav"], body: .init(byteBuffer: ByteBuffer(bytes: try Data(contentsOf: clip.url))))
        }
        router.get("transcripts/notes.vtt") { _, _ in Response(status: .ok, headers: [.contentType: "text/vtt"], body: .init(byteBuffer: ByteBuffer(string: vtt))) }
        router.get("hostile.xml") { _, _ in
            Response(status: .ok, body: .init(byteBuffer: ByteBuffer(string: #"<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;&a;">]><rss>&b;</rss>"#)))
        }
        router.get("huge.xml") { _, _ in
            // 50 MB with no length announced: the server must stop reading, not buffer it all.
            Response(status: .ok, headers: [.contentType: "application/rss+xml"], body: ResponseBody { writer in
                let chunk = ByteBuffer(repeating: UInt8(ascii: " "), count: 1 << 20)
                for _ in 0..<50 { try await writer.write(chunk) }
                try await writer.finish(nil)
            })
        }
        router.get("page.html") { _, _ in Response(status: .ok, body: .init(byteBuffer: ByteBuffer(string: "<html><body>Sign in</body></html>"))) }
        let podcastHost = try await LoopbackServer.start(router)
        let base = "http://127.0.0.1:\(podcastHost.port)"
        baseBox.withLock { $0 = base }
        func post(_ path: String, _ body: String = "") async throws -> ServerProcess.HTTPResult {
            try await server.request("POST", path, body: Data(body.utf8), contentType: "application/json")
        }

        // Hostile and wrong feeds: refused with the reason, nothing kept, the server carries on.
        let hostile = try await post("/api/v1/feeds", #"{"url":"\#(base)/hostile.xml"}"#)
        let hostileCode = try hostile.errorCode()
        #expect(hostile.status == 400 && hostileCode == "invalid_feed" && hostile.text.contains("entities"), "\(hostile.text)")
        let page = try await post("/api/v1/feeds", #"{"url":"\#(base)/page.html"}"#)
        #expect(page.status == 400 && page.text.contains("HTML page"), "\(page.text)")
        let huge = try await post("/api/v1/feeds", #"{"url":"\#(base)/huge.xml"}"#)
        #expect(huge.status == 400 && huge.text.contains("larger than 10 MB"), "\(huge.text)")
        #expect(try await server.request("GET", "/healthz").status == 200)
        let kept = try await server.request("GET", "/api/v1/feeds").json()["feeds"] as? [Any]
        #expect(kept?.isEmpty == true, "a refused feed is not kept")

        // Subscribing polls at once: all four episodes (backlog 4) are taken.
        let subscribed = try await post("/api/v1/feeds", #"{"url":"\#(base)/feed.xml","backlog":4}"#)
        #expect(subscribed.status == 201, "\(subscribed.text)")
        let answer = try subscribed.json()
        let feedID = try #require((answer["feed"] as? [String: Any])?["id"] as? String)
        #expect((answer["feed"] as? [String: Any])?["title"] as? String == "Austen Readings")
        let poll = try #require(answer["poll"] as? [String: Any])
        #expect(poll["new_episodes"] as? Int == 4 && poll["queued"] as? Int == 3 && poll["imported"] as? Int == 1, "\(poll)")

        var episodes = try #require(try await server.request("GET", "/api/v1/feeds/\(feedID)").json()["episodes"] as? [[String: Any]])
        for episode in episodes {
            let id = try #require(episode["job_id"] as? String, "\(episode)")
            let job = try await server.waitForJob(id)
            #expect(job["state"] as? String == "succeeded")
            let text = try await server.request("GET", "/api/v1/jobs/\(id)/transcript?format=txt").text
            switch episode["guid"] as? String {
            case "ep-notes":
                #expect(episode["state"] as? String == "imported" && job["model"] as? String == "publisher")
                #expect(text.contains("Show notes, read aloud."), "the publisher's transcript, not a transcription: \(text)")
            case let guid?:
                let clip = audio[String(guid.dropFirst(3))]!
                let (errors, words) = WordErrorRate.errors(reference: clip.reference, hypothesis: text)
                #expect(episode["state"] as? String == "queued" && Double(errors) / Double(words) <= 0.15, "\(guid): \(text)")
                // Markdown carries the podcast and the episode in its front matter.
                let markdown = try await server.request("GET", "/api/v1/jobs/\(id)/transcript?format=md").text
                #expect(markdown.contains("podcast: \"Austen Readings\"") && markdown.contains("episode: \"Episode \(guid.dropFirst(3))\""), "\(markdown)")
                #expect(markdown.contains("episode_url: \"\(base)/episodes/\(guid.dropFirst(3)).wav\"") && markdown.contains("published: \"2026-11-0"))
            default:
                Issue.record("an episode without a guid")
            }
        }

        // Nothing changed: the server's conditional GET gets a 304 and takes nothing.
        let again = try await post("/api/v1/feeds/\(feedID)/poll").json()["poll"] as? [String: Any]
        #expect(again?["unchanged"] as? Bool == true && host.answers.withLock { $0.last } == 304)

        // A new episode: only it is queued.
        host.episodes.withLock { $0.append("fifth") }
        let fifth = try await post("/api/v1/feeds/\(feedID)/poll").json()["poll"] as? [String: Any]
        #expect(fifth?["new_episodes"] as? Int == 1 && fifth?["queued"] as? Int == 1, "\(String(describing: fifth))")
        episodes = try #require(try await server.request("GET", "/api/v1/feeds/\(feedID)").json()["episodes"] as? [[String: Any]])
        #expect(episodes.count == 5 && episodes.first?["guid"] as? String == "ep-fifth", "newest first")
        #expect(episodes.first?["enclosure_length"] as? Int == 1004 && episodes.first?["title"] as? String == "Episode fifth")
        #expect(episodes.allSatisfy { $0["published_at"] != nil && $0["enclosure_type"] as? String == "audio/wav" })
        let jobs = try await server.request("GET", "/api/v1/jobs?limit=50").json()["jobs"] as? [[String: Any]]
        #expect(jobs?.count == 5, "each episode once")

        // The same from the command line.
        let cli = CLIEndToEndTests()
        let address = server.baseURL.absoluteString
        let listed = try await cli.earshot(["feeds", "list", "--server", address])
        #expect(listed.status == 0 && listed.stdout.contains(feedID) && listed.stdout.contains("Austen Readings"), "\(listed.stdout)")
        let polled = try await cli.earshot(["feeds", "poll", feedID, "--server", address])
        #expect(polled.status == 0 && polled.stdout.contains("unchanged"), "\(polled.stdout)")
        let refused = try await cli.earshot(["feeds", "add", "\(base)/page.html", "--server", address])
        #expect(refused.status != 0 && refused.stderr.contains("HTML page"), "\(refused.stderr)")
        let removed = try await cli.earshot(["feeds", "remove", feedID, "--server", address])
        #expect(removed.status == 0, "\(removed.stderr)")
        #expect(try await server.request("GET", "/api/v1/feeds/\(feedID)").status == 404)
        await podcastHost.stop()
        #expect(await server.terminate() == 0)
    }
}
