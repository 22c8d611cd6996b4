import EarshotCore
import Foundation
import Testing

/// Stream sources against a real `earshot serve` with the real model and real ffmpeg, fed by a
/// local HTTP radio station that plays LibriVox readings in real time, goes down, comes back and
/// finally stalls.
@Suite("Stream sources end to end", .serialized)
struct StreamSourceEndToEndTests {
    static let admin = "stream-admin"

    static func streamEvents(_ events: [Event]) -> [StreamEventData] {
        events.compactMap { if case .stream(let data) = $0.data { data } else { nil } }
    }

    @Test("a station that plays, dies and returns: restarts with backoff 1, 2, 5… s and resumes; a station that stops sending is detected as stalled; every utterance is a stored draft; the password never shows", .takesTurns)
    func flakyStation() async throws {
        let directory = try TestEnvironment.temporaryDirectory("streams")
        let server = try await ServerProcess(dataDirectory: directory, extraArguments: ["--workers", "0", "--admin-token", Self.admin])
        let clips = try TestEnvironment.librivoxClips()
        let first = try LiveEndToEndTests.recording(clips[0..<2])
        let second = try LiveEndToEndTests.recording(clips[2..<4])
        let watch = EventWatch("\(server.baseURL.absoluteString)/api/v1/events?types=stream.*,draft.ended&after=0")

        // Bad requests are refused in words and change nothing.
        func create(_ body: String, bearer: String? = Self.admin) async throws -> ServerProcess.HTTPResult {
            try await server.request("POST", "/api/v1/streams", body: Data(body.utf8), contentType: "application/json", bearer: bearer)
        }
        #expect(try await create(#"{"name":"x","url":"http://127.0.0.1:9/a.wav"}"#, bearer: nil).status == 401)
        for (body, code) in [
            (#"{"name":"x","url":"file:///etc/passwd"}"#, "invalid_url"),
            (#"{"name":"x","url":"ftp://host/a.mp3"}"#, "invalid_url"),
            (#"{"name":"bad name!","url":"http://host/a.mp3"}"#, "invalid_name"),
            (#"{"name":"x","url":"http://host/a.mp3","stall_timeout_seconds":0}"#, "invalid_stall_timeout"),
            (#"{"name":"x"}"#, "invalid_json"),
        ] {
            let answer = try await create(body)
            let answered = try answer.errorCode()
            #expect(answer.status == 400 && answered == code, "\(body)")
        }

        // One broadcast only: a reconnect before the test takes the station down must not hear it again.
        var radio = try await RadioStation(samples: first.samples, ending: .drop, plays: 1)
        let port = radio.port
        let created = try await create(#"{"name":"radio","url":"http://listener:s3cret-pw@127.0.0.1:\#(port)/radio.wav","stall_timeout_seconds":5,"language":"en"}"#)
        #expect(created.status == 201)
        let stream = try created.json()
        let id = try #require(stream["id"] as? String)
        #expect(stream["url"] as? String == "http://listener:••••••@127.0.0.1:\(port)/radio.wav")
        #expect(try await create(#"{"name":"radio","url":"http://127.0.0.1:9/a.wav"}"#).status == 409)

        // It plays, then goes down: the stream retries after 1 s, then 2 s, then 5 s.
        try await watch.wait("the first utterances") { Self.streamEvents($0).contains { $0.state == .running } }
        var played = radio.played.makeAsyncIterator()
        _ = await played.next()
        await radio.shutDown()
        try await watch.wait("two failed reconnects") { events in Self.streamEvents(events).filter { $0.state == .retrying }.count >= 3 }

        // It comes back on the same port and the stream resumes by itself.
        radio = try await RadioStation(port: port, samples: second.samples, ending: .hang)
        try await watch.wait("the stream running again") { Self.streamEvents($0).filter { $0.state == .running }.count >= 2 }
        played = radio.played.makeAsyncIterator()
        _ = await played.next()
        // It now sends nothing while holding the connection: the stall timeout (5 s) ends the run.
        try await watch.wait("the stall") { events in Self.streamEvents(events).contains { $0.message?.contains("stalled") == true } }
        await radio.shutDown()

        let changes = Self.streamEvents(watch.all)
        let delays = changes.compactMap(\.retryInSeconds)
        #expect(delays.count >= 4 && delays == Array(ReconnectBackoff.defaultDelays.prefix(delays.count)), "\(delays)")
        // Each retry waited at least its delay before connecting again.
        let timed = watch.all.compactMap { event -> (Date, StreamEventData)? in
            if case .stream(let data) = event.data { (event.time, data) } else { nil }
        }
        for (index, (time, change)) in timed.enumerated() where change.state == .retrying {
            guard let next = timed[(index + 1)...].first(where: { $0.1.state == .connecting }) else { continue }
            #expect(next.0.timeIntervalSince(time) >= (change.retryInSeconds ?? 0) - 0.05)
        }

        let shown = try await server.request("GET", "/api/v1/streams/\(id)", bearer: Self.admin).json()
        #expect((shown["restarts"] as? Int ?? 0) >= 4 && shown["stalls"] as? Int == 1, "\(shown)")
        #expect((shown["audio_seconds"] as? Double ?? 0) > 15)
        let metrics = String(decoding: try await server.request("GET", "/metrics").body, as: UTF8.self)
        #expect(metrics.contains(#"earshot_stream_stalls_total{stream="radio"} 1"#), "\(metrics.split(separator: "\n").filter { $0.contains("stream") })")
        #expect(metrics.contains(#"earshot_stream_restarts_total{stream="radio"}"#))

        // Both broadcasts were transcribed into drafts of the stream's session, with their audio.
        let listed = try await server.request("GET", "/api/v1/drafts?session_id=stream-\(id)&limit=100").json()
        let drafts = try #require(listed["drafts"] as? [[String: Any]]).reversed()
        #expect(drafts.allSatisfy { $0["state"] as? String == "ended" && $0["has_audio"] as? Bool == true })
        let text = drafts.compactMap { $0["text"] as? String }.joined(separator: " ")
        let reference = first.reference + " " + second.reference
        let (errors, words) = WordErrorRate.errors(reference: reference, hypothesis: text)
        #expect(Double(errors) / Double(words) <= 0.2, "WER \(errors)/\(words): \(text)")

        // The password appears in no answer, event or log line.
        let everything = try await server.request("GET", "/api/v1/streams", bearer: Self.admin).body
            + (try await server.request("GET", "/api/v1/events/log?types=stream.*&limit=500").body)
            + (try Data(contentsOf: server.logURL))
        #expect(everything.range(of: Data("s3cret-pw".utf8)) == nil)

        // The server stops (the stream with it) and starts again: the stream, still enabled,
        // starts by itself, and its drafts are all still there.
        #expect(await server.terminate() == 0)
        let restarted = try await ServerProcess(dataDirectory: directory, extraArguments: ["--workers", "0", "--admin-token", Self.admin])
        let lastSeq = watch.all.last?.seq ?? 0
        let rewatch = EventWatch("\(restarted.baseURL.absoluteString)/api/v1/events?types=stream.*&after=\(lastSeq)")
        try await rewatch.wait("the stream started again") { Self.streamEvents($0).contains { $0.state == .connecting } }
        #expect(Self.streamEvents(rewatch.all).first?.state == .stopped, "the shutdown stopped the stream and said so")
        let kept = try await restarted.request("GET", "/api/v1/drafts?session_id=stream-\(id)&limit=100").json()
        #expect((kept["drafts"] as? [[String: Any]])?.count == drafts.count)

        let stopped = try await restarted.request("POST", "/api/v1/streams/\(id)/stop", bearer: Self.admin)
        let stoppedJSON = try stopped.json()
        #expect(stopped.status == 200 && stoppedJSON["state"] as? String == "stopped" && stoppedJSON["enabled"] as? Bool == false)
        #expect(try await restarted.request("DELETE", "/api/v1/streams/\(id)", bearer: Self.admin).status == 204)
        #expect(try await restarted.request("GET", "/api/v1/streams/\(id)", bearer: Self.admin).status == 404)
        #expect(await restarted.terminate() == 0)
    }

    @Test("a source slower to send its first audio than the stall timeout is connecting, not stalled", .takesTurns)
    func slowStart() async throws {
        let directory = try TestEnvironment.temporaryDirectory("streams-slow")
        let server = try await ServerProcess(dataDirectory: directory, extraArguments: ["--workers", "0", "--admin-token", Self.admin])
        let clips = try TestEnvironment.librivoxClips()
        let radio = try await RadioStation(samples: try LiveEndToEndTests.recording(clips[0..<1]).samples, ending: .hang, leadIn: .seconds(4))
        let watch = EventWatch("\(server.baseURL.absoluteString)/api/v1/events?types=stream.*&after=0")
        let created = try await server.request(
            "POST", "/api/v1/streams", body: Data(#"{"name":"slow","url":"http://127.0.0.1:\#(radio.port)/radio.wav","stall_timeout_seconds":1}"#.utf8),
            contentType: "application/json", bearer: Self.admin
        )
        #expect(created.status == 201)
        try await watch.wait("the stream running") { Self.streamEvents($0).contains { $0.state == .running } }
        #expect(Self.streamEvents(watch.all).map(\.state) == [.connecting, .running], "no retry while the source was still starting")
        await radio.shutDown()
        #expect(await server.terminate() == 0)
    }
}
