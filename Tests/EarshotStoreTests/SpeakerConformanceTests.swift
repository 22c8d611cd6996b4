import EarshotCore
import EarshotStore
import Foundation
import Testing

@Suite("Speaker conformance: diarized transcripts, renames, merges, enrolled voices")
struct SpeakerConformanceTests {
    static func voice(_ axis: Int) -> [Float] {
        var vector = [Float](repeating: 0, count: 256)
        vector[axis] = 1
        return vector
    }

    /// A diarized transcript: S1 says the first and third segments, S2 the second (and one word of the first).
    static func diarized(for id: JobID) -> Transcript {
        Transcript(
            jobID: id, title: "talk.wav", source: "talk.wav", language: "en", model: "tiny.en", durationSeconds: 6, processingSeconds: 1,
            createdAt: at(5),
            segments: [
                Segment(start: 0, end: 2, text: " Hello there.", words: [
                    Word(start: 0, end: 1, text: " Hello", speaker: "S1"), Word(start: 1, end: 2, text: " there.", speaker: "S2"),
                ], speaker: "S1"),
                Segment(start: 2, end: 4, text: " Hi.", speaker: "S2"),
                Segment(start: 4, end: 6, text: " Bye.", speaker: "S1"),
            ],
            speakers: [
                TranscriptSpeaker(id: "S1", speechSeconds: 4, embedding: voice(0)),
                TranscriptSpeaker(id: "S2", speechSeconds: 2, embedding: voice(1)),
            ]
        )
    }

    @Test("a diarization job keeps its options, only workers that can diarize claim it, and its transcript keeps speakers", arguments: StoreKind.allCases)
    func diarizedJobs(kind: StoreKind) async throws {
        let fixture = try await kind.makeFixture()
        let store = try await fixture.open()
        var asked = newJob(name: "talk.wav")
        asked.options.diarization = DiarizationOptions(minSpeakers: 2, maxSpeakers: 3)
        let job = try await store.createJob(asked, now: at(0))
        #expect(job.options.diarization == DiarizationOptions(minSpeakers: 2, maxSpeakers: 3))
        #expect(try await store.claimNext(holder: "plain", leaseSeconds: 30, models: nil, canDiarize: false, now: at(1)) == nil)
        let claimed = try #require(try await store.claimNext(holder: "able", leaseSeconds: 30, models: nil, canDiarize: true, now: at(1)))
        #expect(claimed.job.id == job.id && claimed.job.options.diarization?.maxSpeakers == 3)
        _ = try await store.complete(claimed.lease, transcript: Self.diarized(for: job.id), now: at(2))

        let reopened = try await fixture.open()
        let stored = try #require(try await reopened.transcript(of: job.id))
        #expect(stored.segments.map(\.speaker) == ["S1", "S2", "S1"])
        #expect(stored.segments[0].words?.map(\.speaker) == ["S1", "S2"])
        #expect(stored.speakers.map(\.id) == ["S1", "S2"] && stored.speakers[0].embedding == Self.voice(0) && stored.speakers[1].speechSeconds == 2)
        #expect(stored == Self.diarized(for: job.id))
    }

    @Test("renaming names a speaker in this transcript only; merging moves segments, words, time and voice; each is an event", arguments: StoreKind.allCases)
    func renameAndMerge(kind: StoreKind) async throws {
        let store = try await kind.makeFixture().open()
        let job = try await store.createJob(newJob(name: "talk.wav"), now: at(0))
        let claimed = try #require(try await store.claimNext(holder: "w", leaseSeconds: 30, models: nil, now: at(1)))
        _ = try await store.complete(claimed.lease, transcript: Self.diarized(for: job.id), now: at(2))

        let renamed = try await store.renameTranscriptSpeaker(job.id, speakerId: "S2", name: "Ada", now: at(3))
        #expect(renamed.speaker("S2")?.displayName == "Ada" && renamed.speaker("S1")?.displayName == "Speaker 1")
        #expect(try await store.renameTranscriptSpeaker(job.id, speakerId: "S2", name: nil, now: at(4)).speaker("S2")?.name == nil)
        await #expect(throws: StoreError.speakerNotFound(job.id, "S9")) {
            _ = try await store.renameTranscriptSpeaker(job.id, speakerId: "S9", name: "x", now: at(4))
        }

        let merged = try await store.mergeTranscriptSpeakers(job.id, speakerId: "S2", intoId: "S1", now: at(5))
        #expect(merged.speakers.map(\.id) == ["S1"] && merged.speakers[0].speechSeconds == 6)
        #expect(merged.segments.allSatisfy { $0.speaker == "S1" } && merged.segments[0].words?.allSatisfy { $0.speaker == "S1" } == true)
        let voice = try #require(merged.speakers[0].embedding)
        #expect(abs(SpeakerRecognition.cosine(voice, Self.voice(0)) - 2 / 5.squareRoot()) < 1e-5, "weighted 4:2 and unit length")
        await #expect(throws: StoreError.speakerNotFound(job.id, "S1")) {
            _ = try await store.mergeTranscriptSpeakers(job.id, speakerId: "S1", intoId: "S1", now: at(6))
        }
        let other = try await store.createJob(newJob(sha: "other"), now: at(7))
        await #expect(throws: StoreError.transcriptNotFound(other.id)) {
            _ = try await store.renameTranscriptSpeaker(other.id, speakerId: "S1", name: "x", now: at(7))
        }
        let events = try await store.events(after: 0, filter: EventTypeFilter(types: [.transcriptSpeakersChanged]), correlationId: job.id.rawValue, limit: 10)
        #expect(events.count == 3, "two renames and a merge")
    }

    @Test("an enrolled voice names the speaker it came from and later transcripts that match it; renaming and deleting it follow", arguments: StoreKind.allCases)
    func enrollment(kind: StoreKind) async throws {
        let store = try await kind.makeFixture().open()
        let first = try await store.createJob(newJob(name: "one.wav"), now: at(0))
        let claimed = try #require(try await store.claimNext(holder: "w", leaseSeconds: 30, models: nil, now: at(1)))
        _ = try await store.complete(claimed.lease, transcript: Self.diarized(for: first.id), now: at(2))

        let ada = try await store.enrollSpeaker(
            EnrolledSpeaker(name: "Ada", embedding: Self.voice(1), source: "job:\(first.id)/S2", createdAt: at(3)), fromTranscript: first.id, speakerId: "S2", now: at(3)
        )
        #expect(try await store.transcript(of: first.id)?.speaker("S2")?.displayName == "Ada")
        await #expect(throws: StoreError.duplicateSpeakerName("Ada")) {
            _ = try await store.enrollSpeaker(EnrolledSpeaker(name: "Ada", embedding: Self.voice(2), source: nil, createdAt: at(4)), fromTranscript: nil, speakerId: nil, now: at(4))
        }
        #expect(try await store.enrolledSpeakers().map(\.name) == ["Ada"])
        #expect(try await store.enrolledSpeakers().first?.embedding == Self.voice(1))

        // A new recording with a voice close to Ada's: recognised when it is completed.
        let second = try await store.createJob(newJob(sha: "second", name: "two.wav"), now: at(5))
        let next = try #require(try await store.claimNext(holder: "w", leaseSeconds: 30, models: nil, now: at(6)))
        var transcript = Self.diarized(for: second.id)
        transcript.speakers[0].embedding = Self.voice(7)
        var close = Self.voice(1)
        close[2] = 0.2
        transcript.speakers[1].embedding = close
        let recognized = try await SpeakerEnrollment.recognizing(transcript, store: store, threshold: 0.9)
        #expect(recognized.speakers.map(\.enrolledId) == [nil, ada.id])
        _ = try await store.complete(next.lease, transcript: recognized, now: at(7))
        #expect(try await store.transcript(of: second.id)?.speakers.map(\.displayName) == ["Speaker 1", "Ada"])

        _ = try await store.renameEnrolledSpeaker(ada.id, name: "Ada L.")
        #expect(try await store.transcript(of: first.id)?.speaker("S2")?.displayName == "Ada L.")
        #expect(try await store.transcript(of: second.id)?.speaker("S2")?.displayName == "Ada L.")
        try await store.deleteEnrolledSpeaker(ada.id)
        #expect(try await store.transcript(of: second.id)?.speaker("S2")?.displayName == "Speaker 2")
        await #expect(throws: StoreError.enrolledSpeakerNotFound(ada.id)) { try await store.deleteEnrolledSpeaker(ada.id) }
    }
}
