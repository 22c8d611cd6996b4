@testable import EarshotCore
import Foundation
import Testing

/// `job.*` event data is written by hand for the event log; it must read back exactly as
/// Foundation's encoding of the same value would.
@Suite("Stored event JSON")
struct StoredEventJSONTests {
    static let awkward = [
        "plain", "", "quote \" and backslash \\", "line\nbreak\ttab\rreturn", "control \u{01}\u{1F}", "slash / kept", "é, 中文, 🎙️",
        "\u{7F} delete", "{\"looks\":\"like json\"}",
    ]

    @Test("every shape of job event data reads back as the same value, and as Foundation's encoding does")
    func sameValue() throws {
        var generator = SystemRandomNumberGenerator()
        for round in 0..<500 {
            let text = { Self.awkward.randomElement(using: &generator) }
            let data = JobEventData(
                jobId: JobID.generate(), state: JobState.allCases.randomElement(using: &generator)!,
                attempt: Bool.random(using: &generator) ? Int.random(in: 0...1_000_000, using: &generator) : nil,
                holder: Bool.random(using: &generator) ? text() : nil,
                progress: round.isMultiple(of: 3) ? nil : [0, 1, 0.5, 0.123456789, 1e-9, Double.random(in: 0...1, using: &generator)].randomElement(using: &generator),
                error: Bool.random(using: &generator) ? JobError(code: text() ?? "", message: text() ?? "") : nil,
                reason: Bool.random(using: &generator) ? text() : nil
            )
            let stored = try EventData.job(data).storedJSON()
            let decoded = try EventData.decode(.jobClaimed, from: stored, using: EarshotJSON.decoder())
            #expect(decoded == .job(data), "\(String(decoding: stored, as: UTF8.self))")
            let foundation = try EarshotJSON.encoder().encode(data)
            let viaFoundation = try EventData.decode(.jobClaimed, from: foundation, using: EarshotJSON.decoder())
            #expect(decoded == viaFoundation)
            #expect(try JSONSerialization.jsonObject(with: stored) as? NSDictionary == JSONSerialization.jsonObject(with: foundation) as? NSDictionary)
        }
    }

    @Test("every shape of transcript event data reads back as the same value, and as Foundation's encoding does")
    func transcriptEvents() throws {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<300 {
            let text = { Self.awkward.randomElement(using: &generator) }
            let maybe = { Bool.random(using: &generator) }
            let data = TranscriptEventData(
                jobId: JobID.generate(), language: text() ?? "en", durationSeconds: [0, 1.5, 3600.25, Double.random(in: 0...10_000, using: &generator)].randomElement(using: &generator)!,
                segmentCount: Int.random(in: 0...10_000, using: &generator), segment: maybe() ? Int.random(in: 0...500, using: &generator) : nil,
                revision: maybe() ? Int.random(in: 1...50, using: &generator) : nil, source: maybe() ? RevisionSource.allCases.randomElement(using: &generator) : nil,
                text: maybe() ? text() : nil, speaker: maybe() ? text() : nil
            )
            let stored = try EventData.transcript(data).storedJSON()
            let decoded = try EventData.decode(.transcriptCreated, from: stored, using: EarshotJSON.decoder())
            #expect(decoded == .transcript(data), "\(String(decoding: stored, as: UTF8.self))")
            let foundation = try EarshotJSON.encoder().encode(data)
            #expect(try JSONSerialization.jsonObject(with: stored) as? NSDictionary == JSONSerialization.jsonObject(with: foundation) as? NSDictionary)
        }
    }

    @Test("other event data is encoded by Foundation as before")
    func otherKinds() throws {
        let node = EventData.node(NodeEventData(nodeId: "n1", name: "gpu-1"))
        #expect(try node.storedJSON() == (try node.encoded(using: EarshotJSON.encoder())))
    }
}
