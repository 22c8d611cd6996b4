import EarshotCore
import Foundation
import Testing

/// A small transcript: an hour-plus timestamp, a blank line inside a segment, and odd whitespace.
private func sampleTranscript(title: String = "Kenobi", segments: [Segment]? = nil) -> Transcript {
    Transcript(
        jobID: JobID(rawValue: "0b7c5e1a-6f2d-4c3e-9a8b-1d2e3f405162"),
        title: title,
        source: "kenobi.mp3",
        language: "en",
        model: "base.en",
        durationSeconds: 3727.4,
        processingSeconds: 12.5,
        createdAt: Date(timeIntervalSince1970: 1_790_000_000),
        segments: segments ?? [
            Segment(start: 0, end: 2.5, text: " Hello there."),
            Segment(start: 2.5, end: 4, text: "  General Kenobi!\n\n  You are a bold one. "),
            Segment(start: 3725.5, end: 3727.0004, text: "Goodbye."),
        ]
    )
}

@Suite struct SRTExporterTests {
    @Test func rendersTheFullDocument() {
        let expected = """
            1
            00:00:00,000 --> 00:00:02,500
            Hello there.

            2
            00:00:02,500 --> 00:00:04,000
            General Kenobi!
            You are a bold one.

            3
            01:02:05,500 --> 01:02:07,000
            Goodbye.

            """
        #expect(SRTExporter().export(sampleTranscript()) == expected)
        #expect(ExportFormat.render(sampleTranscript(), as: .srt) == expected)
    }

    @Test func skipsEmptySegmentsAndKeepsNumberingContiguous() {
        let transcript = sampleTranscript(segments: [
            Segment(start: 0, end: 1, text: "  "),
            Segment(start: 1, end: 2, text: "One"),
            Segment(start: 2, end: 3, text: "\n \n"),
            Segment(start: 3, end: 4, text: ""),
            Segment(start: 4, end: 5, text: "Two"),
        ])
        let expected = """
            1
            00:00:01,000 --> 00:00:02,000
            One

            2
            00:00:04,000 --> 00:00:05,000
            Two

            """
        #expect(SRTExporter().export(transcript) == expected)
    }

    @Test func endBeforeStartUsesStartAndBadTimesClamp() {
        let transcript = sampleTranscript(segments: [
            Segment(start: 10, end: 9, text: "Backwards"),
            Segment(start: -2, end: .nan, text: "Broken"),
        ])
        let expected = """
            1
            00:00:10,000 --> 00:00:10,000
            Backwards

            2
            00:00:00,000 --> 00:00:00,000
            Broken

            """
        #expect(SRTExporter().export(transcript) == expected)
    }

    @Test func neverContainsABlankLineInsideACue() {
        let transcript = sampleTranscript(segments: [Segment(start: 0, end: 1, text: "a\n\n\nb\r\n\r\nc\n \t\nd")])
        #expect(SRTExporter().export(transcript) == "1\n00:00:00,000 --> 00:00:01,000\na\nb\nc\nd\n")
    }

    @Test func noCuesGivesAnEmptyFile() {
        #expect(SRTExporter().export(sampleTranscript(segments: [])) == "")
    }
}

@Suite struct VTTExporterTests {
    @Test func rendersTheFullDocument() {
        let expected = """
            WEBVTT

            00:00:00.000 --> 00:00:02.500
            Hello there.

            00:00:02.500 --> 00:00:04.000
            General Kenobi!
            You are a bold one.

            01:02:05.500 --> 01:02:07.000
            Goodbye.

            """
        #expect(VTTExporter().export(sampleTranscript()) == expected)
        #expect(ExportFormat.render(sampleTranscript(), as: .vtt) == expected)
    }

    @Test func escapesMarkupAndTimingArrows() {
        let transcript = sampleTranscript(segments: [
            Segment(start: 0, end: 1, text: "Fish & chips <b>now</b> --> later ---> never"),
        ])
        let output = VTTExporter().export(transcript)
        #expect(output == "WEBVTT\n\n00:00:00.000 --> 00:00:01.000\nFish &amp; chips &lt;b&gt;now&lt;/b&gt; -&gt; later -&gt; never\n")
        // Only the timing line may carry an arrow.
        #expect(output.components(separatedBy: "-->").count == 2)
    }

    @Test func skipsEmptySegments() {
        let transcript = sampleTranscript(segments: [
            Segment(start: 0, end: 1, text: " "),
            Segment(start: 1, end: 2, text: "Only"),
        ])
        #expect(VTTExporter().export(transcript) == "WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nOnly\n")
    }

    @Test func noCuesIsStillAValidHeader() {
        #expect(VTTExporter().export(sampleTranscript(segments: [])) == "WEBVTT\n")
    }
}

@Suite struct TextExporterTests {
    @Test func oneTrimmedSegmentPerLine() {
        let transcript = sampleTranscript(segments: [
            Segment(start: 0, end: 1, text: "  First. "),
            Segment(start: 1, end: 2, text: "   "),
            Segment(start: 2, end: 3, text: "Second\nline."),
            Segment(start: 3, end: 4, text: "Third."),
        ])
        #expect(TextExporter().export(transcript) == "First.\nSecond line.\nThird.\n")
        #expect(ExportFormat.render(transcript, as: .txt) == "First.\nSecond line.\nThird.\n")
    }

    @Test func emptyTranscriptIsEmpty() {
        #expect(TextExporter().export(sampleTranscript(segments: [Segment(start: 0, end: 1, text: " ")])) == "")
    }
}

@Suite struct JSONExporterTests {
    @Test func decodesBackToTheSameTranscript() throws {
        var transcript = sampleTranscript()
        transcript.segments[0].avgLogprob = -0.25
        transcript.segments[0].noSpeechProb = 0.125
        transcript.segments[0].words = [
            Word(start: 0, end: 0.5, text: " Hello", probability: 0.875),
            Word(start: 0.5, end: 2.5, text: " there.", probability: nil),
        ]
        let json = JSONExporter().export(transcript)
        let decoded = try EarshotJSON.decoder().decode(Transcript.self, from: Data(json.utf8))
        #expect(decoded == transcript)
        #expect(ExportFormat.render(transcript, as: .json) == json)
    }

    @Test func isPrettyAndSnakeCase() {
        var transcript = sampleTranscript()
        transcript.segments[0].avgLogprob = -0.25
        let json = JSONExporter().export(transcript)
        #expect(json.contains("\n  \"job_id\" : \"0b7c5e1a-6f2d-4c3e-9a8b-1d2e3f405162\""))
        #expect(json.contains("\"avg_logprob\" : -0.25"))
        #expect(json.contains("\"duration_seconds\" : 3727.4"))
        #expect(json.contains("\"created_at\" : \"2026-09-21T14:13:20.000Z\""))
        #expect(!json.contains("jobID"))
        #expect(json.hasSuffix("}\n"))
    }

    @Test func nonFiniteNumbersDoNotBreakTheExport() throws {
        var transcript = sampleTranscript(segments: [
            Segment(start: .nan, end: .infinity, text: "x", avgLogprob: -.infinity, noSpeechProb: .nan),
        ])
        transcript.durationSeconds = .nan
        let json = JSONExporter().export(transcript)
        let object = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any]
        #expect(object?["duration_seconds"] as? Double == 0)
        let segment = (object?["segments"] as? [[String: Any]])?.first
        #expect(segment?["start"] as? Double == 0)
        #expect(segment?["avg_logprob"] == nil)
    }
}

@Suite struct MarkdownExporterTests {
    /// Reads the front matter back, failing on any line that is not `key: "…"` with only valid
    /// YAML double-quoted escapes, and returns the unescaped values.
    private func parseFrontMatter(_ markdown: String) -> [(key: String, value: String)]? {
        let lines = markdown.components(separatedBy: "\n")
        guard lines.first == "---", let close = lines.dropFirst().firstIndex(of: "---") else { return nil }
        var result: [(key: String, value: String)] = []
        for line in lines[1..<close] {
            guard let colon = line.range(of: ": \"") else { return nil }
            let key = String(line[..<colon.lowerBound])
            guard !key.isEmpty, key.allSatisfy({ $0.isLetter || $0 == "_" }) else { return nil }
            var value = ""
            var scalars = Array(line[colon.upperBound...].unicodeScalars)
            guard scalars.last == "\"" else { return nil }
            scalars.removeLast()
            var index = 0
            while index < scalars.count {
                let scalar = scalars[index]
                index += 1
                if scalar == "\"" || scalar.value < 0x20 { return nil }
                guard scalar == "\\" else {
                    value.unicodeScalars.append(scalar)
                    continue
                }
                guard index < scalars.count else { return nil }
                let escape = scalars[index]
                index += 1
                switch escape {
                case "\\": value += "\\"
                case "\"": value += "\""
                case "n": value += "\n"
                case "r": value += "\r"
                case "t": value += "\t"
                case "0": value += "\0"
                case "u":
                    guard index + 4 <= scalars.count,
                          let code = UInt32(String(String.UnicodeScalarView(scalars[index..<index + 4])), radix: 16),
                          let decoded = Unicode.Scalar(code) else { return nil }
                    value.unicodeScalars.append(decoded)
                    index += 4
                default: return nil
                }
            }
            result.append((key, value))
        }
        return result
    }

    @Test func frontMatterHasExactQuotedLines() {
        let transcript = sampleTranscript(title: #"Interview: "The Quiet Years" \ part 1"#)
        let markdown = MarkdownExporter().export(transcript)
        let lines = markdown.components(separatedBy: "\n")
        #expect(Array(lines.prefix(10)) == [
            "---",
            #"title: "Interview: \"The Quiet Years\" \\ part 1""#,
            #"source: "kenobi.mp3""#,
            #"duration: "01:02:07""#,
            #"language: "en""#,
            #"model: "base.en""#,
            #"created: "2026-09-21T14:13:20.000Z""#,
            "---",
            "",
            #"# Interview: "The Quiet Years" \ part 1"#,
        ])
        let parsed = parseFrontMatter(markdown)
        #expect(parsed?.map(\.key) == ["title", "source", "duration", "language", "model", "created"])
        #expect(parsed?.first?.value == transcript.title)
    }

    @Test func controlCharactersAndNewlinesAreEscaped() {
        let title = "Line one\nLine two\t\u{7}\r\u{2028}end"
        let markdown = MarkdownExporter().export(sampleTranscript(title: title))
        #expect(markdown.contains(#"title: "Line one\nLine two\t\u0007\r\u2028end""#))
        #expect(parseFrontMatter(markdown)?.first?.value == title)
        // The heading stays on one line.
        #expect(markdown.contains("\n# Line one Line two"))
        #expect(MarkdownExporter.yamlString("yes") == "\"yes\"")
    }

    @Test func rendersTheFullDocument() {
        let expected = """
            ---
            title: "Kenobi"
            source: "kenobi.mp3"
            duration: "01:02:07"
            language: "en"
            model: "base.en"
            created: "2026-09-21T14:13:20.000Z"
            ---

            # Kenobi

            **[00:00:00]** Hello there. General Kenobi! You are a bold one.

            **[01:02:05]** Goodbye.

            """
        #expect(MarkdownExporter().export(sampleTranscript()) == expected)
        #expect(ExportFormat.render(sampleTranscript(), as: .md) == expected)
    }

    @Test func groupsSegmentsIntoParagraphsByGapAndSpan() {
        let transcript = sampleTranscript(segments: [
            Segment(start: 0, end: 1, text: "A"),
            Segment(start: 1.5, end: 3, text: "B"),
            Segment(start: 3, end: 3.5, text: "  "),
            Segment(start: 5, end: 6, text: "C"),  // gap of exactly 2 s: same paragraph
            Segment(start: 8.5, end: 10.3, text: "D"),  // gap of 2.5 s: new paragraph
            Segment(start: 12.3, end: 40, text: "E"),  // 2.0 s gap computed from floats: same paragraph
            Segment(start: 40, end: 70, text: "F"),  // paragraph now spans 61.5 s
            Segment(start: 70, end: 71, text: "G"),  // so this starts a new one
            Segment(start: 71, end: 72, text: "H"),
        ])
        let body = MarkdownExporter().export(transcript).components(separatedBy: "# Kenobi\n").last
        #expect(body == "\n**[00:00:00]** A B C\n\n**[00:00:08]** D E F\n\n**[00:01:10]** G H\n")
    }

    @Test func emptyTitleStillGivesAHeading() {
        let markdown = MarkdownExporter().export(sampleTranscript(title: " ", segments: []))
        #expect(markdown.hasSuffix("---\n\n# Transcript\n"))
        #expect(markdown.contains("title: \" \"\n"))
    }
}

@Suite struct MarkdownFrontMatterTests {
    @Test func carriesTheOriginsMetadataQuotedAndSortedAndDropsOddKeys() {
        let markdown = MarkdownExporter().export(sampleTranscript(), metadata: [
            "podcast": "Q&A: \"live\"", "episode": "yes", "weird key": "x", "published": "2026-11-02T09:00:00Z",
        ])
        let front = markdown.components(separatedBy: "---\n")[1]
        #expect(front.hasSuffix("created: \"\(EarshotJSON.formatTimestamp(sampleTranscript().createdAt))\"\nepisode: \"yes\"\npodcast: \"Q&A: \\\"live\\\"\"\npublished: \"2026-11-02T09:00:00Z\"\n"), "\(front)")
        #expect(!markdown.contains("weird key"))
        #expect(ExportFormat.render(sampleTranscript(), as: .md, metadata: ["podcast": "P"]).contains("podcast: \"P\""))
    }
}

@Suite struct ExportFormatTests {
    @Test func contentTypesAndExtensions() {
        #expect(ExportFormat.allCases.map(\.fileExtension) == ["json", "srt", "vtt", "txt", "md"])
        #expect(ExportFormat.json.contentType == "application/json; charset=utf-8")
        #expect(ExportFormat.srt.contentType == "application/x-subrip; charset=utf-8")
        #expect(ExportFormat.vtt.contentType == "text/vtt; charset=utf-8")
        #expect(ExportFormat.txt.contentType == "text/plain; charset=utf-8")
        #expect(ExportFormat.md.contentType == "text/markdown; charset=utf-8")
        #expect(ExportFormat(rawValue: "srt") == .srt)
        #expect(ExportFormat(rawValue: "docx") == nil)
    }
}

@Suite("Exports of a diarized transcript")
struct SpeakerExportTests {
    /// Two speakers: S1 named by a person, S2 recognised as an enrolled speaker; a segment without a speaker.
    static let transcript = Transcript(
        jobID: JobID(rawValue: "00000000-0000-0000-0000-000000000001"), title: "talk", source: "talk.wav", language: "en", model: "tiny.en",
        durationSeconds: 9, processingSeconds: 1, createdAt: Date(timeIntervalSince1970: 0),
        segments: [
            Segment(start: 0, end: 2, text: " Hello there.", speaker: "S1"),
            Segment(start: 2, end: 4, text: " Still me.", speaker: "S1"),
            Segment(start: 4, end: 6, text: " Hi <Ada>.", speaker: "S2"),
            Segment(start: 6, end: 9, text: " Bye.", speaker: "S1"),
            Segment(start: 9, end: 9.5, text: " (noise)"),
        ],
        speakers: [
            TranscriptSpeaker(id: "S1", name: "Bo *the* host", speechSeconds: 7, embedding: [1, 0]),
            TranscriptSpeaker(id: "S2", enrolledId: "e1", enrolledName: "Ada", speechSeconds: 2, embedding: [0, 1]),
        ]
    )

    @Test func srtLeadsCuesWithTheName() {
        let srt = ExportFormat.render(Self.transcript, as: .srt)
        #expect(srt.contains("00:00:00,000 --> 00:00:02,000\nBo *the* host: Hello there.\n"))
        #expect(srt.contains("\nAda: Hi <Ada>.\n"))
        #expect(srt.contains("\n(noise)\n"), "a segment without a speaker has no name")
    }

    @Test func vttUsesVoiceSpans() {
        let vtt = ExportFormat.render(Self.transcript, as: .vtt)
        #expect(vtt.contains("00:00:04.000 --> 00:00:06.000\n<v Ada>Hi &lt;Ada&gt;.\n"))
        #expect(vtt.contains("<v Bo *the* host>Hello there."))
    }

    @Test func textAndMarkdownNameEachSpeakerTurn() {
        let text = ExportFormat.render(Self.transcript, as: .txt)
        #expect(text == "Bo *the* host: Hello there.\nBo *the* host: Still me.\nAda: Hi <Ada>.\nBo *the* host: Bye.\n(noise)\n")
        let markdown = ExportFormat.render(Self.transcript, as: .md)
        #expect(markdown.contains("\n**[00:00:00]** **Bo \\*the\\* host:** Hello there. Still me.\n"), "one paragraph per turn: \(markdown)")
        #expect(markdown.contains("\n**[00:00:04]** **Ada:** Hi <Ada>.\n"))
        #expect(markdown.contains("\n**[00:00:06]** **Bo \\*the\\* host:** Bye.\n"))
    }

    @Test func jsonNamesSpeakersButKeepsTheirVoicesOut() throws {
        let json = ExportFormat.render(Self.transcript, as: .json)
        #expect(json.contains("\"display_name\" : \"Ada\"") && json.contains("\"speaker\" : \"S2\""))
        #expect(!json.contains("embedding"))
        let decoded = try EarshotJSON.decoder().decode(Transcript.self, from: Data(json.utf8))
        #expect(decoded.speakers.map(\.displayName) == ["Bo *the* host", "Ada"] && decoded.segments.map(\.speaker) == ["S1", "S1", "S2", "S1", nil])
    }

    @Test func labelingGivesSegmentsAndWordsTheirSpeakersInOrderOfAppearance() {
        let timeline = SpeakerTimeline(
            speakers: [.init(centroid: [1], speechSeconds: 3), .init(centroid: [2], speechSeconds: 4), .init(centroid: [3], speechSeconds: 1)],
            turns: [.init(start: 0, end: 2.6, speaker: 1), .init(start: 2.6, end: 6, speaker: 0)]
        )
        let segments = [
            Segment(start: 0, end: 3, text: " a b", words: [Word(start: 0, end: 1, text: " a"), Word(start: 2.7, end: 3, text: " b")]),
            Segment(start: 3, end: 6, text: " c"),
            Segment(start: 7, end: 8, text: " d"),
        ]
        let (labeled, speakers) = timeline.labeling(segments)
        #expect(labeled.map(\.speaker) == ["S1", "S2", "S2", nil], "a segment is cut where its words change speaker; none where no turn overlaps")
        #expect(labeled.map(\.text) == [" a", " b", " c", " d"])
        #expect(labeled.map(\.start) == [0, 2.7, 3, 7] && labeled.map(\.end) == [1, 3, 6, 8])
        #expect(labeled[0].words?.map(\.speaker) == ["S1"] && labeled[1].words?.map(\.speaker) == ["S2"])
        #expect(speakers.map(\.id) == ["S1", "S2"] && speakers.map(\.speechSeconds) == [4, 3] && speakers[0].embedding == [2])
    }

    @Test func aSegmentOfOneSpeakerIsKeptWhole() {
        let timeline = SpeakerTimeline(speakers: [.init(centroid: [1], speechSeconds: 5)], turns: [.init(start: 0, end: 5, speaker: 0)])
        let segment = Segment(
            start: 0.2, end: 4.8, text: " one two three", avgLogprob: -0.2,
            words: [Word(start: 0.3, end: 1, text: " one"), Word(start: 1.2, end: 2, text: " two"), Word(start: 6, end: 7, text: " three")]
        )
        let (labeled, _) = timeline.labeling([segment])
        #expect(labeled.count == 1, "a word outside every turn takes its segment's speaker")
        #expect(labeled[0].text == " one two three" && labeled[0].start == 0.2 && labeled[0].end == 4.8 && labeled[0].avgLogprob == -0.2)
        #expect(labeled[0].words?.allSatisfy { $0.speaker == "S1" } == true)
    }
}
