import EarshotCore
import Foundation
import Logging
import NIOCore
import Synchronization
import Testing
import WSClient

/// `GET /api/v1/live` against a real `earshot serve` with the real model: LibriVox readings
/// streamed at real-time speed over a real WebSocket.
@Suite("Live transcription end to end", .serialized)
struct LiveEndToEndTests {
    struct Message: Decodable, Sendable {
        struct LiveSegment: Decodable, Sendable {
            var start: Double
            var end: Double
            var text: String
            var completed: Bool
        }

        var type: String
        var sessionId: String?
        var draftId: String?
        var segments: [LiveSegment]?
        var text: String?
        var drafts: Int?
        var code: String?
        var message: String?
        var retryAfterSeconds: Int?
    }

    /// 16-bit mono 16 kHz WAV samples of the test recordings, with a second of silence between.
    static func recording(_ clips: ArraySlice<(url: URL, reference: String)>) throws -> (samples: [Int16], reference: String) {
        var samples: [Int16] = []
        for clip in clips {
            if !samples.isEmpty { samples += [Int16](repeating: 0, count: 16_000) }
            let data = try Data(contentsOf: clip.url)
            guard let range = data.range(of: Data("data".utf8)) else { throw TestFailure("no data chunk in \(clip.url.lastPathComponent)") }
            let body = data[(range.upperBound + 4)...]
            samples += stride(from: body.startIndex, to: body.endIndex - 1, by: 2).map { Int16(bitPattern: UInt16(body[$0]) | UInt16(body[$0 + 1]) << 8) }
        }
        return (samples, clips.map(\.reference).joined(separator: " "))
    }

    /// Streams `samples` in 100 ms frames at real-time pace, then `end`; returns every message
    /// the server sent until it closed the socket.
    static func stream(
        _ samples: [Int16], format: String, to url: String, sessionId: String, ready: AsyncStream<Void>.Continuation? = nil
    ) async throws -> [Message] {
        let collected = TextCollector()
        var logger = Logger(label: "live-test")
        logger.logLevel = .warning
        _ = try await WebSocketClient.connect(url: url, logger: logger) { inbound, outbound, _ in
            try await outbound.writeTextMessage(#"{"type":"hello","model":"tiny.en","language":"en","format":"\#(format)","sample_rate":16000,"session_id":"\#(sessionId)"}"#)
            // The audio goes out from a task of its own while this one reads until the server
            // closes: a refused session (busy, bad hello) ends by the server's close alone.
            let writer = Task {
                let clock = ContinuousClock()
                let start = clock.now
                for (index, offset) in stride(from: 0, to: samples.count, by: 1600).enumerated() {
                    let frame = samples[offset..<min(offset + 1600, samples.count)]
                    var bytes: [UInt8] = []
                    for sample in frame {
                        if format == "s16le" {
                            bytes += [UInt8(truncatingIfNeeded: sample), UInt8(truncatingIfNeeded: sample >> 8)]
                        } else {
                            withUnsafeBytes(of: (Float(sample) / 32768).bitPattern.littleEndian) { bytes += $0 }
                        }
                    }
                    try await outbound.write(.binary(ByteBuffer(bytes: bytes)))
                    // Real time: frame n leaves no earlier than n × 100 ms after the first.
                    try await clock.sleep(until: start + .milliseconds(100 * (index + 1)))
                }
                try await outbound.writeTextMessage(#"{"type":"end"}"#)
            }
            defer { writer.cancel() }
            for try await message in inbound.messages(maxSize: 1 << 20) {
                guard case .text(let text) = message else { continue }
                collected.append(text)
                if text.contains(#""type":"ready""#) { ready?.yield() }
            }
        }
        return try collected.texts.map { try EarshotJSON.decoder().decode(Message.self, from: Data($0.utf8)) }
    }

    final class TextCollector: Sendable {
        private let storage = Mutex<[String]>([])
        func append(_ text: String) { storage.withLock { $0.append(text) } }
        var texts: [String] { storage.withLock { $0 } }
    }

    @Test("two sessions at real time: finals in order within WER 15 %, partials never after their final, every utterance stored with its WAV; a third is told to come back", .takesTurns)
    func twoSessions() async throws {
        let directory = try TestEnvironment.temporaryDirectory("live")
        let config = directory.appendingPathComponent("earshot.yaml")
        try "live_max_sessions: 2\n".write(to: config, atomically: true, encoding: .utf8)
        let server = try await ServerProcess(dataDirectory: directory, extraArguments: ["--workers", "0", "--config", config.path])
        let url = "ws://127.0.0.1:\(server.baseURL.port ?? 0)/api/v1/live"
        let clips = try TestEnvironment.librivoxClips()
        let first = try Self.recording(clips[0..<2])
        let second = try Self.recording(clips[2..<5])

        let (readies, ready) = AsyncStream<Void>.makeStream()
        async let one = Self.stream(first.samples, format: "s16le", to: url, sessionId: "mic-one", ready: ready)
        async let two = Self.stream(second.samples, format: "f32le", to: url, sessionId: "mic-two", ready: ready)
        // Both slots are taken once both sessions have been answered `ready`.
        var answered = 0
        for await _ in readies {
            answered += 1
            if answered == 2 { break }
        }
        let busy = try await Self.stream([], format: "s16le", to: url, sessionId: "mic-three")
        #expect(busy.first?.type == "error" && busy.first?.code == "busy" && (busy.first?.retryAfterSeconds ?? 0) > 0, "\(busy.map(\.type))")

        for (messages, recording, session) in [(try await one, first, "mic-one"), (try await two, second, "mic-two")] {
            #expect(messages.first?.type == "ready" && messages.first?.sessionId == session)
            #expect(messages.last?.type == "end", "the server closes with end after the last final")
            let finals = messages.filter { $0.type == "final" }
            let partials = messages.filter { $0.type == "partial" }
            #expect(finals.count >= recording.reference.split(separator: " ").count / 40 + 1, "\(session): \(finals.count) finals")
            #expect(messages.last?.drafts == finals.count)
            #expect(partials.allSatisfy { $0.segments?.allSatisfy { !$0.completed } ?? false })
            #expect(finals.allSatisfy { $0.segments?.allSatisfy(\.completed) ?? false })
            // A partial of an utterance never follows its final.
            for final in finals {
                let finalIndex = messages.firstIndex { $0.type == "final" && $0.draftId == final.draftId } ?? 0
                #expect(!messages[finalIndex...].contains { $0.type == "partial" && $0.draftId == final.draftId })
            }
            let starts = finals.compactMap { $0.segments?.first?.start }
            #expect(starts == starts.sorted(), "finals come in order, timed from the session's start")
            let text = finals.compactMap(\.text).joined(separator: " ")
            let (errors, words) = WordErrorRate.errors(reference: recording.reference, hypothesis: text)
            #expect(Double(errors) / Double(words) <= 0.15, "\(session) WER \(errors)/\(words): \(text)")

            // Every utterance is a stored draft with its audio.
            let listed = try await server.request("GET", "/api/v1/drafts?session_id=\(session)")
            let drafts = try #require(try listed.json()["drafts"] as? [[String: Any]])
            #expect(drafts.count == finals.count && drafts.allSatisfy { $0["state"] as? String == "ended" && $0["has_audio"] as? Bool == true })
            let id = try #require(finals.first?.draftId)
            let audio = try await server.request("GET", "/api/v1/drafts/\(id)/audio")
            #expect(audio.status == 200 && audio.body.prefix(4) == Data("RIFF".utf8) && audio.body.count > 16_000)
        }

        // A hello the server cannot take is answered in words.
        let refused = try await Self.stream([], format: "mp3", to: url, sessionId: "x")
        #expect(refused.first?.code == "invalid_hello" && refused.count == 1)
        let events = try await server.request("GET", "/api/v1/events/log?types=draft.*&limit=500")
        let types = try #require(try events.json()["events"] as? [[String: Any]]).compactMap { $0["type"] as? String }
        #expect(types.filter { $0 == "draft.started" }.count == types.filter { $0 == "draft.ended" }.count && !types.isEmpty)
        #expect(await server.terminate() == 0, "SIGTERM stops the live engine too and exits cleanly")
    }

    @Test("one session gets partials then finals; quick then better across machines: a capture server with only the live engine, a node with base; the reprocess becomes a WHISPER_REPROCESS revision, and a person's earlier edit stays on top", .takesTurns)
    func reprocessOnAnotherMachine() async throws {
        let directory = try TestEnvironment.temporaryDirectory("live-reprocess")
        let admin = "reprocess-admin"
        let server = try await ServerProcess(dataDirectory: directory, extraArguments: ["--workers", "0", "--admin-token", admin])
        let clips = try TestEnvironment.librivoxClips()
        let recording = try Self.recording(clips[0..<2])
        let url = "ws://127.0.0.1:\(server.baseURL.port ?? 0)/api/v1/live"
        // A first short session starts the live engine, which a loaded machine takes seconds to do.
        _ = try await Self.stream(try Self.recording(clips[4..<5]).samples, format: "s16le", to: url, sessionId: "warm-up")
        let messages = try await Self.stream(recording.samples, format: "s16le", to: url, sessionId: "desk")
        let finals = messages.filter { $0.type == "final" }
        #expect(finals.count >= 2)
        // One session on the live engine: partials arrive while speech goes on. (With several
        // sessions on an overloaded machine, partials are shed first so that finals keep coming.)
        let partials = messages.filter { $0.type == "partial" }
        #expect(!partials.isEmpty && partials.allSatisfy { $0.segments?.allSatisfy { !$0.completed } ?? false })
        let edited = try #require(finals.first?.draftId)
        let automatic = try #require(finals.last?.draftId)

        // Before any machine with base exists, a person corrects the first utterance.
        let patch = try await server.request(
            "PATCH", "/api/v1/drafts/\(edited)", body: Data(#"{"text":"Corrected by hand.","author":"ann"}"#.utf8), contentType: "application/json"
        )
        #expect(patch.status == 200)

        // A node with base joins and does the reprocess jobs the capture server queued.
        let config = try await NodeProcess.register(name: "gpu-box", server: server, adminToken: admin, directory: directory)
        let node = try await NodeProcess(name: "gpu-box", configPath: config, directory: directory, extraArguments: ["--models", "base"])
        for id in [edited, automatic] {
            let draft = try await server.request("GET", "/api/v1/drafts/\(id)").json()
            let job = try #require(draft["reprocess_job_id"] as? String, "draft \(id) has a reprocess job")
            let done = try await server.request("GET", "/api/v1/jobs/\(job)?wait=60", timeout: 90).json()
            #expect(done["state"] as? String == "succeeded" && done["model"] as? String == "base" && done["draft_id"] as? String == id)
        }
        let kept = try await server.request("GET", "/api/v1/drafts/\(edited)").json()
        let keptSources = (kept["revisions"] as? [[String: Any]] ?? []).compactMap { $0["source"] as? String }
        #expect(kept["text"] as? String == "Corrected by hand." && keptSources == ["human", "whisper_reprocess"])

        let improved = try await server.request("GET", "/api/v1/drafts/\(automatic)").json()
        let revisions = improved["revisions"] as? [[String: Any]] ?? []
        #expect(revisions.compactMap { $0["source"] as? String } == ["whisper_reprocess"])
        #expect(revisions.first?["author"] as? String == "base")
        let text = try #require(improved["text"] as? String)
        #expect(text == revisions.first?["text"] as? String, "base's text is shown")
        let (errors, words) = WordErrorRate.errors(reference: clips[1].reference, hypothesis: text)
        #expect(Double(errors) / Double(words) <= 0.15, "base WER \(errors)/\(words): \(text)")
        await node.kill()
        #expect(await server.terminate() == 0)
    }
}
