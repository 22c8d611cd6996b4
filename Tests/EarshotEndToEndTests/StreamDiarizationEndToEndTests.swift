import EarshotDiarizationEvaluation
import EarshotCore
import Foundation
import Testing

/// Speaker labels on a live stream: a real server, real ffmpeg and the speaker model, fed by the
/// local radio station playing three real voices (pocketsphinx-testdata) in turn. One voice is
/// enrolled first, from a job, and must be named on the stream; the others become "Speaker N".
@Suite("Stream speaker labels end to end", .serialized)
struct StreamDiarizationEndToEndTests {
    /// A clip of the broadcast: who speaks, and when (seconds into the broadcast).
    struct Clip {
        var voice: String
        var start: Double
        var end: Double
    }

    /// The voices' clips in turn (librivox, cards, numbers, librivox, …), 1.5 s of silence apart
    /// so each is an utterance of its own; the first `count` of them, or all.
    static func broadcast(clips count: Int = .max) throws -> (samples: [Int16], clips: [Clip]) {
        var samples = [Float](repeating: 0, count: 8_000)
        var clips: [Clip] = []
        for (voice, audio) in try PocketsphinxConversation.clipsInTurn().prefix(count) {
            clips.append(Clip(voice: voice, start: Double(samples.count) / 16_000, end: Double(samples.count + audio.count) / 16_000))
            samples += audio + [Float](repeating: 0, count: 24_000)
        }
        return (samples.map { Int16(max(-1, min(1, $0)) * 32_767) }, clips)
    }

    /// A server with one built-in worker, and a finished diarized job on a reading of the voice
    /// the stream will call "librivox" (a clip the stream does not play), ready to be enrolled.
    static func serverWithReaderJob(_ directory: URL) async throws -> (ServerProcess, job: String) {
        let server = try await ServerProcess(dataDirectory: directory, extraArguments: ["--workers", "1", "--admin-token", "admin"])
        let heldOut = directory.appendingPathComponent("reader.wav")
        try AudioFile.wavData(try PocketsphinxConversation.audio(PocketsphinxConversation.heldOut[0])).write(to: heldOut)
        let job = try await server.submit(heldOut, fields: ["diarize": "true", "max_speakers": "1"])
        #expect(try await server.waitForJob(job)["state"] as? String == "succeeded")
        return (server, job)
    }

    /// Enrols the job's only speaker as "Marianne".
    static func enrollReader(_ server: ServerProcess, job: String) async throws {
        let enrolled = try await server.request(
            "POST", "/api/v1/jobs/\(job)/speakers/S1/enroll", body: Data(#"{"name":"Marianne"}"#.utf8), contentType: "application/json",
            bearer: "admin"
        )
        #expect(enrolled.status == 201, "\(enrolled.text)")
    }

    /// Creates a stream that labels speakers, listening to `radio`; its id.
    static func startStream(_ server: ServerProcess, radio: RadioStation) async throws -> String {
        let created = try await server.request(
            "POST", "/api/v1/streams", body: Data(#"{"name":"panel","url":"http://127.0.0.1:\#(radio.port)/radio.wav","language":"en","diarize":true}"#.utf8),
            contentType: "application/json", bearer: "admin"
        )
        #expect(created.status == 201, "\(created.text)")
        #expect(try created.json()["diarize"] as? Bool == true)
        return try #require(try created.json()["id"] as? String)
    }

    /// Once the broadcast has played: stops the stream (which stores every utterance heard before
    /// it answers) and the station, and returns the drafts with text, oldest first, each with the
    /// voice of the clip it lies on and the speaker it was labelled.
    static func stopAndLabel(
        _ server: ServerProcess, stream id: String, radio: RadioStation, clips: [Clip]
    ) async throws -> (drafts: [[String: Any]], labels: [(voice: String, speaker: String?)]) {
        var played = radio.played.makeAsyncIterator()
        _ = await played.next()
        #expect(try await server.request("POST", "/api/v1/streams/\(id)/stop", bearer: "admin").status == 200)
        await radio.shutDown()

        let listed = try await server.request("GET", "/api/v1/drafts?session_id=stream-\(id)&limit=100", bearer: "admin").json()
        let drafts = Array(try #require(listed["drafts"] as? [[String: Any]]).reversed().filter { !($0["text"] as? String ?? "").isEmpty })
        var labels: [(voice: String, speaker: String?)] = []
        for draft in drafts {
            let middle = (draft["offset_seconds"] as? Double ?? 0) + (draft["duration_seconds"] as? Double ?? 0) / 2
            let clip = try #require(clips.min { abs(($0.start + $0.end) / 2 - middle) < abs(($1.start + $1.end) / 2 - middle) })
            let speaker = draft["speaker"] as? String
            labels.append((clip.voice, speaker))
            let segments = draft["segments"] as? [[String: Any]] ?? []
            #expect(segments.allSatisfy { $0["speaker"] as? String == speaker }, "a draft's segments carry its speaker: \(draft)")
        }
        return (drafts, labels)
    }

    @Test("a stream that labels speakers: the enrolled reader by name, the two other voices as Speaker 1 and 2, each utterance its voice's; shown on /live and the draft page", .takesTurns)
    func labelledStream() async throws {
        let directory = try TestEnvironment.temporaryDirectory("stream-speakers")
        defer { try? FileManager.default.removeItem(at: directory) }
        let (server, job) = try await Self.serverWithReaderJob(directory)
        defer { Task { await server.kill() } }
        try await Self.enrollReader(server, job: job)

        let (samples, clips) = try Self.broadcast()
        let radio = try await RadioStation(samples: samples, ending: .hang)
        let id = try await Self.startStream(server, radio: radio)
        let (drafts, labels) = try await Self.stopAndLabel(server, stream: id, radio: radio, clips: clips)
        #expect(Set(labels.map(\.voice)) == ["librivox", "cards", "numbers"], "\(labels)")
        #expect(labels.filter { $0.voice == "librivox" }.allSatisfy { $0.speaker == "Marianne" }, "\(labels)")
        let others = labels.filter { $0.voice != "librivox" }
        #expect(Set(others.map(\.speaker)) == ["Speaker 1", "Speaker 2"], "\(labels)")
        #expect(Dictionary(grouping: others, by: \.voice).values.allSatisfy { Set($0.map(\.speaker)).count == 1 }, "\(labels)")

        // The events say who spoke, and the pages show it.
        let events = try await server.request("GET", "/api/v1/events/log?types=draft.ended&limit=500", bearer: "admin").json()
        let ended = (events["events"] as? [[String: Any]] ?? []).compactMap { $0["data"] as? [String: Any] }
        #expect(ended.contains { $0["speaker"] as? String == "Marianne" }, "\(ended)")
        let page = try await server.request("GET", "/live?session=stream-\(id)", bearer: "admin").text
        #expect(page.contains("<td data-speaker>Marianne</td>") && page.contains("<td data-speaker>Speaker 2</td>"))
        let first = try #require(drafts.first?["id"] as? String)
        #expect(try await server.request("GET", "/drafts/\(first)", bearer: "admin").text.contains("<span data-speaker>Marianne</span>"))
        #expect(await server.terminate() == 0)
    }

    @Test("a voice heard before it is enrolled: once recognised, its earlier drafts are renamed (draft.speaker_changed) and the pages show the name", .takesTurns)
    func renamedWhenRecognised() async throws {
        let directory = try TestEnvironment.temporaryDirectory("stream-speakers-rename")
        defer { try? FileManager.default.removeItem(at: directory) }
        // The reader's voice is found from a job first, but enrolled only after the stream has
        // labelled her first utterance.
        let (server, job) = try await Self.serverWithReaderJob(directory)
        defer { Task { await server.kill() } }

        // librivox, cards, numbers, librivox: two other voices between her first and second utterance.
        let (samples, clips) = try Self.broadcast(clips: 4)
        let radio = try await RadioStation(samples: samples, ending: .hang)
        let watch = EventWatch("\(server.baseURL.absoluteString)/api/v1/events?types=draft.*&after=0", bearer: "admin")
        let id = try await Self.startStream(server, radio: radio)
        try await watch.wait("the first utterance's draft") { events in events.contains { $0.type == .draftEnded } }
        let first = try #require(watch.all.compactMap { event -> DraftEventData? in
            guard event.type == .draftEnded, case .draft(let data) = event.data else { return nil }
            return data
        }.first)
        #expect(first.speaker == "Speaker 1", "not enrolled yet: \(first)")
        try await Self.enrollReader(server, job: job)

        let (_, labels) = try await Self.stopAndLabel(server, stream: id, radio: radio, clips: clips)
        #expect(labels.first?.voice == "librivox" && Set(labels.map(\.voice)) == ["librivox", "cards", "numbers"], "\(labels)")
        #expect(labels.filter { $0.voice == "librivox" }.allSatisfy { $0.speaker == "Marianne" }, "her first draft was renamed: \(labels)")
        // The other two voices keep a "Speaker N" each, one per voice.
        let others = Dictionary(grouping: labels.filter { $0.voice != "librivox" }, by: \.voice).mapValues { Set($0.map(\.speaker)) }
        #expect(others.values.allSatisfy { $0.count == 1 && $0.first??.hasPrefix("Speaker ") == true }, "\(labels)")
        #expect(Set(others.values.compactMap(\.first)).count == 2, "\(labels)")

        try await watch.wait("the rename's event") { events in events.contains { $0.type == .draftSpeakerChanged } }
        let renamed = watch.all.compactMap { event -> DraftEventData? in
            guard event.type == .draftSpeakerChanged, case .draft(let data) = event.data else { return nil }
            return data
        }
        #expect(renamed.first?.draftId == first.draftId && renamed.allSatisfy { $0.speaker == "Marianne" }, "\(renamed)")
        #expect(try await server.request("GET", "/drafts/\(first.draftId)", bearer: "admin").text.contains("<span data-speaker>Marianne</span>"))
        #expect(await server.terminate() == 0)
    }
}
