import EarshotCore
import Foundation

/// `/transcripts/{id}`: the player and the segments it drives.
struct TranscriptView {
    struct WordView { var start: Double; var end: Double; var text: String }
    struct SegmentView {
        var index: Int
        var start: Double
        var end: Double
        var time: String
        var text: String
        var words: [WordView]?
        var revised: Bool
        var originalText: String
        var speaker: SpeakerView?
    }
    struct FormatLink { var format: String; var label: String }
    /// A speaker with the colour its segments are drawn in (one of eight, by order of appearance).
    struct SpeakerView { var id: String; var name: String; var color: Int; var time: String; var enrolled: Bool }

    var nav = NavState(jobs: true)
    var id: String
    var title: String
    var language: String
    var model: String
    var duration: String
    var segmentCount: Int
    var hasMedia: Bool
    var startAt: Double
    var formats: [FormatLink]
    var segments: [SegmentView]
    var speakers: [SpeakerView]
    /// Stored, not computed: templates see stored properties only.
    var hasSpeakers: Bool

    init(transcript: Transcript, hasMedia: Bool, startAt: Double) {
        id = transcript.jobID.rawValue
        title = transcript.title
        language = transcript.language
        model = transcript.model
        duration = WebFormat.duration(transcript.durationSeconds)
        segmentCount = transcript.segments.count
        self.hasMedia = hasMedia
        self.startAt = startAt
        formats = ExportFormat.allCases.map { FormatLink(format: $0.rawValue, label: $0.fileExtension.uppercased()) }
        let speakers = transcript.speakers.enumerated().map { index, speaker in
            SpeakerView(
                id: speaker.id, name: speaker.displayName, color: index % 8, time: WebFormat.duration(speaker.speechSeconds),
                enrolled: speaker.enrolledId != nil
            )
        }
        self.speakers = speakers
        hasSpeakers = !speakers.isEmpty
        segments = transcript.segments.enumerated().map { index, segment in
            // Word timings describe the recognizer's words: once a person rewrote the text they no
            // longer match it, so the revised text is shown whole.
            let words = segment.originalText == nil ? segment.words?.map { WordView(start: $0.start, end: $0.end, text: $0.text) } : nil
            return SegmentView(
                index: index, start: segment.start, end: segment.end, time: WebFormat.clock(segment.start),
                text: segment.text.trimmingCharacters(in: .whitespaces), words: words?.isEmpty == false ? words : nil,
                revised: segment.originalText != nil, originalText: (segment.originalText ?? "").trimmingCharacters(in: .whitespaces),
                speaker: speakers.first { $0.id == segment.speaker }
            )
        }
    }
}

/// `/search`: the form and a page of hits.
struct SearchView {
    struct HitView { var jobId: String; var segment: Int; var start: Double; var time: String; var title: String; var snippetHTML: String }

    var nav = NavState(search: true)
    var query: String
    var searched: Bool
    var summary: String
    var error: String?
    var hits: [HitView]
    var nextPage: String?
}
