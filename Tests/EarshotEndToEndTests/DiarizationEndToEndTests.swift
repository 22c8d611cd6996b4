import EarshotDiarizationEvaluation
import Foundation
import Testing

/// Speaker diarization through a real server: the built-in worker transcribes and diarizes a
/// conversation of three real voices (pocketsphinx-testdata), names, merges and enrolls speakers,
/// and recognises the enrolled voice in a new recording.
@Suite("Diarization end to end", .serialized)
struct DiarizationEndToEndTests {
    /// The three-voice conversation as a WAV file, and who speaks when.
    static func conversation(in directory: URL) throws -> (file: URL, reference: [LabelledSegment]) {
        let conversation = try PocketsphinxConversation.make()
        let file = directory.appendingPathComponent("conversation.wav")
        try AudioFile.wavData(conversation.samples).write(to: file)
        return (file, conversation.reference)
    }

    /// Held-out clips of each voice, in the order of `PocketsphinxConversation.voices`, 0.7 s apart.
    static func heldOutRecording(in directory: URL) throws -> URL {
        var samples: [Float] = []
        for clip in PocketsphinxConversation.heldOut {
            samples += try PocketsphinxConversation.audio(clip) + [Float](repeating: 0, count: 11_200)
        }
        let file = directory.appendingPathComponent("held-out.wav")
        try AudioFile.wavData(samples).write(to: file)
        return file
    }

    /// For each transcript speaker, the reference voice it mostly is, and the share of segment time
    /// that agrees with that mapping.
    static func agreement(segments: [[String: Any]], reference: [LabelledSegment]) -> (mapping: [String: String], share: Double) {
        var overlap: [String: [String: Double]] = [:]
        for segment in segments {
            guard let speaker = segment["speaker"] as? String, let start = segment["start"] as? Double, let end = segment["end"] as? Double else { continue }
            for turn in reference {
                let shared = min(end, turn.end) - max(start, turn.start)
                if shared > 0 { overlap[speaker, default: [:]][turn.label, default: 0] += shared }
            }
        }
        var mapping: [String: String] = [:]
        var agreeing = 0.0
        var total = 0.0
        for (speaker, voices) in overlap {
            let best = voices.max { $0.value < $1.value }!
            mapping[speaker] = best.key
            agreeing += best.value
            total += voices.values.reduce(0, +)
        }
        return (mapping, total > 0 ? agreeing / total : 0)
    }

    @Test("a diarized job names three speakers who match the voices; renaming and merging reach every export; an enrolled voice is recognised in a new file")
    func diarizeNameMergeEnroll() async throws {
        let directory = try TestEnvironment.temporaryDirectory("diarization-e2e")
        defer { try? FileManager.default.removeItem(at: directory) }
        let (file, reference) = try Self.conversation(in: directory)
        let server = try await ServerProcess(dataDirectory: directory, extraArguments: ["--workers", "1"])
        defer { Task { await server.kill() } }

        let refused = try await server.upload(file, fields: ["diarize": "true", "min_speakers": "4", "max_speakers": "2"])
        #expect(refused.status == 400, "\(refused.text)")

        let id = try await server.submit(file, fields: ["diarize": "true"])
        let job = try await server.waitForJob(id)
        #expect(job["state"] as? String == "succeeded", "\(job)")

        let transcript = try await server.request("GET", "/api/v1/jobs/\(id)/transcript").json()
        let segments = transcript["segments"] as? [[String: Any]] ?? []
        let speakers = (transcript["speakers"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String }
        #expect(speakers == ["S1", "S2", "S3"], "\(transcript["speakers"] ?? "none")")
        #expect(segments.allSatisfy { $0["words"] == nil }, "words were not asked for, so none are kept")
        let (mapping, share) = Self.agreement(segments: segments, reference: reference)
        #expect(Set(mapping.values).count == 3, "each speaker is a different voice: \(mapping)")
        #expect(share >= 0.85, "segment time attributed to the right voice: \(share)")
        let reader = try #require(mapping.first { $0.value == "librivox" }?.key)
        let others = speakers.filter { $0 != reader }

        // Renaming one speaker is seen in every export.
        let renamed = try await server.request("PATCH", "/api/v1/jobs/\(id)/speakers/\(reader)", body: Data(#"{"name":"Marianne"}"#.utf8), contentType: "application/json")
        #expect(renamed.status == 200, "\(renamed.text)")
        func export(_ format: String) async throws -> String {
            try await server.request("GET", "/api/v1/jobs/\(id)/transcript?format=\(format)").text
        }
        #expect(try await export("srt").contains("Marianne: "))
        #expect(try await export("vtt").contains("<v Marianne>"))
        #expect(try await export("txt").contains("Marianne: "))
        #expect(try await export("md").contains("**Marianne:**"))
        #expect(try await export("json").replacingOccurrences(of: " ", with: "").contains(#""display_name":"Marianne""#))

        // Merging the other two leaves two speakers everywhere.
        let merged = try await server.request(
            "POST", "/api/v1/jobs/\(id)/speakers/\(others[1])/merge", body: Data(#"{"into":"\#(others[0])"}"#.utf8), contentType: "application/json"
        )
        #expect(merged.status == 200, "\(merged.text)")
        let afterMerge = try await server.request("GET", "/api/v1/jobs/\(id)/transcript").json()
        #expect((afterMerge["speakers"] as? [[String: Any]])?.count == 2)
        #expect((afterMerge["segments"] as? [[String: Any]] ?? []).allSatisfy { $0["speaker"] as? String != others[1] })
        let mergedName = "Speaker \(others[1].dropFirst())"
        for format in ["srt", "vtt", "txt", "md"] {
            #expect(try await !export(format).contains(mergedName), "\(format) still names \(mergedName)")
        }

        // Enrolled, the reader is recognised by name in a recording the server has not heard.
        let enrolled = try await server.request(
            "POST", "/api/v1/jobs/\(id)/speakers/\(reader)/enroll", body: Data(#"{"name":"Elinor's reader"}"#.utf8), contentType: "application/json"
        )
        #expect(enrolled.status == 201, "\(enrolled.text)")
        // 13 s of three voices is too little to count them from the audio (one few-second clip can
        // split in two), so this job says how many there are, as its uploader would know.
        let second = try await server.submit(try Self.heldOutRecording(in: directory), fields: ["diarize": "true", "min_speakers": "3", "max_speakers": "3"])
        #expect(try await server.waitForJob(second)["state"] as? String == "succeeded")
        let recognised = try await server.request("GET", "/api/v1/jobs/\(second)/speakers").json()["speakers"] as? [[String: Any]] ?? []
        let named = recognised.filter { $0["enrolled_name"] as? String == "Elinor's reader" }
        #expect(named.count == 1, "exactly one voice is the enrolled reader: \(recognised)")
        #expect(recognised.count == 3 && named.first?["id"] as? String == "S1", "the reader speaks first in the new recording: \(recognised)")
        #expect(try await server.request("GET", "/api/v1/jobs/\(second)/transcript?format=srt").text.contains("Elinor's reader: "))
    }
}
