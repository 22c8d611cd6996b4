import EarshotCore
import EarshotServer
import EarshotStore
import Foundation
import HTTPTypes
import Testing

@Suite("Web UI pages")
struct WebPagesTests {
    static let hostile = "<script>alert(1)</script>\"' onmouseover=\"x\" <img src=x onerror=alert(2)>"

    /// A succeeded job whose file name, title and text are all markup, plus a revised segment.
    static func hostileServer() async throws -> (TestServer, JobID) {
        let server = try TestServer()
        let job = try await server.store.createJob(NewJob(
            priority: 0, options: TranscriptionOptions(model: "tiny.en"),
            media: MediaInfo(sha256: "f00d", filename: hostile + ".wav", contentType: "audio/wav", sizeBytes: 4, durationSeconds: 3),
            maxAttempts: 1
        ), now: Date())
        let claimed = try #require(try await server.store.claimNext(holder: "test:1", leaseSeconds: 3600, models: nil, now: Date()))
        _ = try await server.store.complete(claimed.lease, transcript: Transcript(
            jobID: job.id, title: hostile, source: "x", language: "en", model: "tiny.en", durationSeconds: 3, processingSeconds: 1,
            createdAt: Date(), segments: [
                Segment(start: 0, end: 1, text: " marker " + hostile, words: [Word(start: 0, end: 1, text: hostile)], speaker: "S1"),
                Segment(start: 1, end: 2, text: " plain words", speaker: "S2"),
            ], speakers: [
                TranscriptSpeaker(id: "S1", name: hostile, speechSeconds: 1, embedding: [1, 0]),
                TranscriptSpeaker(id: "S2", speechSeconds: 1, embedding: [0, 1]),
            ]
        ), now: Date())
        _ = try await server.store.reviseSegment(job.id, index: 1, text: "edited " + hostile, source: .human, author: hostile, now: Date())
        return (server, job.id)
    }

    /// Our own markup has exactly the script tags of the layout; anything else is the payload.
    static func expectEscaped(_ html: String, page: String) {
        #expect(html.components(separatedBy: "<script").count - 1 == 1, "\(page): a script tag beyond the layout's")
        #expect(!html.contains("<img"), "\(page): raw <img> from data")
        #expect(!html.contains("\" onmouseover"), "\(page): a quote from data broke out of an attribute")
        #expect(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"), "\(page): the payload is shown as text")
    }

    @Test("every page shows markup in data as text: titles, file names, segments, words, revisions, snippets")
    func escaping() async throws {
        let (server, id) = try await Self.hostileServer()
        defer { server.cleanUp() }
        for page in ["/", "/jobs", "/jobs/\(id)", "/transcripts/\(id)", "/search?q=marker"] {
            let exchange = try await server.send(.get, page)
            #expect(exchange.status == 200, "\(page) answered \(exchange.status)")
            #expect(exchange.headers[.contentType] == "text/html; charset=utf-8")
            Self.expectEscaped(exchange.text, page: page)
        }
        let search = try await server.send(.get, "/search?q=marker")
        #expect(search.text.contains("<mark>marker</mark>"), "the match is highlighted")
        #expect(search.text.contains("/transcripts/\(id)?t=0.0#seg-0"), "the hit links to the moment")
        // A query is echoed back into the form: it must not break out of the attribute either.
        let echoed = try await server.send(.get, "/search?q=%22%3E%3Cscript%3Ex%3C%2Fscript%3E")
        #expect(echoed.text.components(separatedBy: "<script").count - 1 == 1)
    }

    @Test("the transcript page carries what the player needs, revisions included")
    func transcriptPage() async throws {
        let (server, id) = try await Self.hostileServer()
        defer { server.cleanUp() }
        let html = try await server.send(.get, "/transcripts/\(id)?t=1.5").text
        #expect(html.contains("src=\"/api/v1/jobs/\(id)/media\"") == false, "no player when the media file is missing")
        #expect(html.contains("data-start-at=\"1.5\""))
        #expect(html.contains("id=\"seg-1\"") && html.contains("data-start=\"1.0\""))
        #expect(html.contains("class=\"word\""), "word timestamps are rendered for the unrevised segment")
        #expect(html.contains("edited &lt;script&gt;"), "the revision's text is shown")
        #expect(html.contains("data-original>plain words<"), "the original is kept beside it")
        for format in ExportFormat.allCases {
            #expect(html.contains("format=\(format.rawValue)&amp;download=true"), "a \(format) download")
        }
        // Speakers: a panel with a filter per speaker, each segment in its speaker's colour.
        #expect(html.contains("id=\"speakers\"") && html.contains("data-filter=\"S1\"") && html.contains("data-filter=\"S2\""))
        #expect(html.contains("class=\"segment speaker-c0\"") && html.contains("data-speaker=\"S2\""))
        #expect(html.contains("<span class=\"speaker-name\">Speaker 2</span>"))
    }

    @Test("missing things are pages in words; static files have their types; bad filters say so")
    func errorsAndAssets() async throws {
        let server = try TestServer()
        defer { server.cleanUp() }
        let missing = try await server.send(.get, "/transcripts/\(JobID.generate())")
        #expect(missing.status == 404 && missing.text.contains("does not exist") == false && missing.text.contains("not found"))
        #expect(try await server.send(.get, "/jobs/not-a-job").status == 400)
        let css = try await server.send(.get, "/ui/static/earshot.css")
        #expect(css.status == 200 && css.headers[.contentType] == "text/css; charset=utf-8" && css.text.contains("prefers-color-scheme: dark"))
        let script = try await server.send(.get, "/ui/static/common.js")
        #expect(script.headers[.contentType] == "text/javascript; charset=utf-8")
        #expect(try await server.send(.get, "/ui/static/..%2FPackage.swift").status == 404)
        #expect(try await server.send(.get, "/ui/static/nothing.js").status == 404)
        let filtered = try await server.send(.get, "/jobs?state=finished&from=yesterday")
        #expect(filtered.status == 200 && filtered.text.contains("Filter ignored: unknown state"))
    }

    @Test("settings mask secrets, including credentials inside URLs")
    func settingsMaskSecrets() async throws {
        var configuration = ServerConfiguration()
        configuration.adminToken = "s3cr3t-admin"
        configuration.databaseURL = "postgres://earshot:db-pa55word@db.example:5432/speech"
        configuration.plugins = [.webhook(name: "hook", url: "https://user:pa55@example.invalid/hook", secret: "hmac-k3y", types: "job.*", timeoutSeconds: 5)]
        let server = try TestServer(configuration: configuration)
        defer { server.cleanUp() }
        let html = try await server.send(.get, "/settings").text
        for secret in ["s3cr3t-admin", "pa55", "hmac-k3y", "db-pa55word"] {
            #expect(!html.contains(secret), "\(secret) is shown")
        }
        // The user name stays, so one can tell which account a URL uses; the password never shows.
        #expect(html.contains("user:••••••@example.invalid/hook"))
        #expect(html.contains("postgres://earshot:••••••@db.example:5432/speech"))
    }

    @Test("the live page and a draft's page show hostile drafts, suggestions and stream names as text; pending changes are offered one by one")
    func livePages() async throws {
        let server = try TestServer()
        defer { server.cleanUp() }
        let store = server.store
        let draft = try await store.startDraft(NewDraft(sessionId: "mic", offsetSeconds: 0, model: "tiny.en", language: "en"), now: Date())
        _ = try await store.endDraft(draft.id, result: DraftResult(
            durationSeconds: 2, language: "en", segments: [Segment(start: 0, end: 2, text: "hello " + Self.hostile)], hasAudio: false
        ), now: Date())
        _ = try await store.addSuggestion(draft.id, baseText: "hello " + Self.hostile, text: "Hello, " + Self.hostile + " there", model: "m", now: Date())
        _ = try await store.createStream(StreamSource(
            id: UUID().uuidString.lowercased(), name: "door", url: "rtsp://u:hunter22@cam/x", enabled: false, stallTimeoutSeconds: 15,
            model: "tiny.en", language: nil, createdAt: Date()
        ))

        let live = try await server.send(.get, "/live")
        #expect(live.status == 200)
        Self.expectEscaped(live.text, page: "/live")
        #expect(live.text.contains("rtsp://u:••••••@cam/x") && !live.text.contains("hunter22"))
        #expect(live.text.contains("data-suggested") && !live.text.contains("Drafts of"))
        #expect(try await server.send(.get, "/live?session=mic&cursor=999999").status == 200, "a stale page falls back to the newest")

        let page = try await server.send(.get, "/drafts/\(draft.id)")
        #expect(page.status == 200)
        Self.expectEscaped(page.text, page: "/drafts/{id}")
        #expect(page.text.components(separatedBy: "data-change=").count - 1 == 2, "two changes to tick: Hello, and there")
        #expect(try await server.send(.get, "/drafts/\(UUID().uuidString)").status == 404)
    }
}
